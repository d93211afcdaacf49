// StepCompressor (step_compress.hpp): step times -> queue_step (interval, count, add), each command
// checked step by step against the allowed window before it leaves.
//
// For a given `add`, the intervals that put steps 1..n inside their windows form a range that only
// narrows as n grows, so one pass finds the longest run and its latest interval. The `add` is then
// bisected: when the run ends because even the latest sequence arrives before the next step's window,
// a larger add is needed, otherwise a smaller one.

#include "mcu/step_compress.hpp"

#include <algorithm>
#include <string>

#include "mcu/dictionary.hpp"

namespace rtstep::mcu {

namespace {

constexpr uint64_t kMaxStepGap = uint64_t{3} << 28;  // ticks; longer pauses go through reset_step_clock
constexpr std::size_t kMaxCount = 0xFFFF;
constexpr int64_t kMaxInterval = int64_t{1} << 31;  // intervals stay below 2^31, as the MCU expects

int64_t floor_div(int64_t n, int64_t d) { return n >= 0 ? n / d : -((-n + d - 1) / d); }
int64_t ceil_div(int64_t n, int64_t d) { return -floor_div(-n, d); }
int64_t triangle(int64_t n) { return n * (n - 1) / 2; }  // sum of add over the steps before step n

struct Run {
  int64_t interval = 0;
  std::size_t count = 0;
  bool early = false;  // the run ended with the next step's window after the latest sequence
  int64_t reach(int64_t add) const { return interval * static_cast<int64_t>(count) + add * triangle(static_cast<int64_t>(count)); }
};

}  // namespace

void expand_steps(uint64_t last_clock, const StepMove& move, std::vector<uint64_t>& out) {
  uint64_t t = last_clock;
  int64_t interval = move.interval;
  for (uint32_t i = 0; i < move.count; ++i) {
    t += static_cast<uint64_t>(interval);
    out.push_back(t);
    interval += move.add;
  }
}

Status encode_queue_step(const Dictionary& dictionary, uint8_t oid, const StepMove& move, std::vector<uint8_t>& out) {
  const Arg args[] = {{"oid", int64_t{oid}},
                      {"interval", int64_t{move.interval}},
                      {"count", int64_t{move.count}},
                      {"add", int64_t{move.add}}};
  return dictionary.encode("queue_step", args, out);
}

Status StepCompressor::push(uint64_t tick) {
  const uint64_t prev = queue_.size() > pos_ ? queue_.back() : last_clock_;
  if (tick <= prev) {
    return Error{"step at tick " + std::to_string(tick) + " is not after the previous one (" + std::to_string(prev) + ")"};
  }
  if (tick - prev >= kMaxStepGap) {
    return Error{"step at tick " + std::to_string(tick) + " is " + std::to_string(tick - prev) +
                 " ticks after the previous one: reset the step clock first"};
  }
  queue_.push_back(tick);
  return Ok{};
}

// Step i's allowed ticks after last_clock_: its requested tick, and at most min(max_error, half the gap
// to the step before) earlier.
StepCompressor::Window StepCompressor::window(std::size_t i) const noexcept {
  const auto point = static_cast<int64_t>(queue_[i] - last_clock_);
  const int64_t prev = i > pos_ ? static_cast<int64_t>(queue_[i - 1] - last_clock_) : 0;
  const int64_t early = std::min<int64_t>(max_error_, (point - prev) / 2);
  return {point - early, point};
}

StepMove StepCompressor::best_move() const {
  const std::size_t avail = std::min(queue_.size() - pos_, kMaxCount);
  const Window first = window(pos_);
  const auto run_for = [&](int64_t add) {
    int64_t lo = first.min, hi = first.max;
    for (std::size_t k = 1; k < avail; ++k) {
      const Window w = window(pos_ + k);
      const auto n = static_cast<int64_t>(k + 1);
      const int64_t a = add * triangle(n);
      const int64_t next_lo = std::max(lo, ceil_div(w.min - a, n));
      const int64_t next_hi = std::min(hi, floor_div(w.max - a, n));
      // The interval grows by add each step; it must stay positive and below 2^31 over the run.
      const int64_t last_interval_hi = next_hi + add * (n - 1);
      if (next_lo > next_hi || last_interval_hi < 1 || last_interval_hi >= kMaxInterval) {
        return Run{hi, k, hi * n + a < w.min};
      }
      lo = next_lo;
      hi = next_hi;
    }
    return Run{hi, avail, false};
  };

  const Run zero = run_for(0);
  Run best = zero;
  int64_t best_add = 0;
  int64_t min_add = -0x8000, max_add = 0x7FFF;
  int64_t add = 0;
  Run r = zero;
  while (r.count < avail) {
    if (r.early) {
      min_add = add + 1;
    } else {
      max_add = add - 1;
    }
    // Two sequences that both fit n windows (each at most max_error wide) differ in add by at most
    // (6 + 4 sqrt 2) max_error / n^2; a longer run must also fit these n, so its add is that close.
    if (r.count >= 2) {
      const auto n = static_cast<int64_t>(r.count);
      const int64_t reach = (12 * int64_t{max_error_}) / (n * n) + 1;
      min_add = std::max(min_add, add - reach);
      max_add = std::min(max_add, add + reach);
    }
    if (min_add > max_add) break;
    add = min_add + (max_add - min_add) / 2;
    r = run_for(add);
    if (r.count > best.count || (r.count == best.count && r.reach(add) > best.reach(best_add))) {
      best = r;
      best_add = add;
    }
  }
  // Prefer add = 0 when it does nearly as well: a plain interval is the MCU's cheapest case.
  if (zero.count + zero.count / 16 >= best.count) {
    best = zero;
    best_add = 0;
  }
  return {static_cast<uint32_t>(best.interval), static_cast<uint16_t>(best.count), static_cast<int16_t>(best_add)};
}

// Expands `move` from last_clock_ and checks each step against its window.
Status StepCompressor::verify(const StepMove& move) const {
  const auto fail = [&](const std::string& why) {
    return Error{"queue_step interval=" + std::to_string(move.interval) + " count=" + std::to_string(move.count) +
                 " add=" + std::to_string(move.add) + ": " + why};
  };
  if (move.count == 0 || pos_ + move.count > queue_.size()) return fail("bad count");
  if (move.interval == 0 && move.add == 0 && move.count > 1) return fail("steps at one tick");
  int64_t p = 0;
  int64_t interval = move.interval;
  for (std::size_t i = 0; i < move.count; ++i) {
    if (interval < 1 || interval >= kMaxInterval) return fail("interval " + std::to_string(interval) + " at step " + std::to_string(i + 1));
    p += interval;
    const Window w = window(pos_ + i);
    if (p < w.min || p > w.max) {
      return fail("step " + std::to_string(i + 1) + " at +" + std::to_string(p) + " outside " + std::to_string(w.min) +
                  ".." + std::to_string(w.max));
    }
    interval += move.add;
  }
  return Ok{};
}

Status StepCompressor::flush(std::vector<StepCommand>& out) {
  while (pos_ < queue_.size()) {
    const StepMove move = best_move();
    if (Status s = verify(move); !s) return s;
    const int64_t n = move.count;
    const auto ticks = static_cast<uint64_t>(int64_t{move.interval} * n + int64_t{move.add} * triangle(n));
    out.push_back({move, last_clock_, last_clock_ + ticks});
    last_clock_ += ticks;
    pos_ += move.count;
  }
  queue_.clear();
  pos_ = 0;
  return Ok{};
}

}  // namespace rtstep::mcu
