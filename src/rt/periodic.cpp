// Periodic threads (see periodic.hpp).
#include "rt/periodic.hpp"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "util/clock.hpp"

namespace rtstep::rt {

namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

// Sleeps until the absolute deadline (at once when it has passed). Returns 0, or the error number of a
// failure other than EINTR (clock_nanosleep returns it; errno is not set).
int sleep_until(int64_t deadline_ns) noexcept {
  const timespec ts{static_cast<time_t>(deadline_ns / kNsPerSecond), static_cast<long>(deadline_ns % kNsPerSecond)};
  int rc = 0;
  // EINTR: sleep again; the deadline is absolute, so nothing drifts.
  while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr)) == EINTR) {
  }
  return rc;
}

// Raises `target` to `value` (single writer: a load and a store, no CAS needed).
void store_max(std::atomic<int64_t>& target, int64_t value) noexcept {
  if (value > target.load(std::memory_order_relaxed)) target.store(value, std::memory_order_relaxed);
}

}  // namespace

std::string format_duration(int64_t ns) {
  char text[32];
  const double v = static_cast<double>(ns);
  if (ns >= 1'000'000 || ns <= -1'000'000) {
    std::snprintf(text, sizeof text, "%.2f ms", v / 1e6);
  } else if (ns >= 1'000 || ns <= -1'000) {
    std::snprintf(text, sizeof text, "%.1f us", v / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%lld ns", static_cast<long long>(ns));
  }
  return text;
}

double PeriodicStats::utilisation() const noexcept {
  return period_ns > 0 ? static_cast<double>(max_cycle_ns) / static_cast<double>(period_ns) : 0.0;
}

PeriodicThread::PeriodicThread(PeriodicSpec spec)
    : spec_(std::move(spec)), label_(spec_.label.empty() ? spec_.thread.name : spec_.label) {}

PeriodicThread::~PeriodicThread() {
  request_stop();
  join();
}

void PeriodicThread::join() { thread_.join(); }

Status PeriodicThread::start(int64_t first_deadline_ns) {
  if (spec_.period_ns <= 0) return Error{label_ + ": period must be > 0"};
  for (const auto& f : spec_.functions) {
    if (f.fn == nullptr) return Error{label_ + ": function \"" + f.name + "\" has no code"};
  }
  if (first_deadline_ns == 0) first_deadline_ns = monotonic_ns() + spec_.period_ns;
  return thread_.start(spec_.thread, [this, first_deadline_ns] { loop(first_deadline_ns); });
}

void PeriodicThread::loop(int64_t first_deadline_ns) noexcept {
  const int64_t period = spec_.period_ns;
  int64_t deadline = first_deadline_ns;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (const int rc = sleep_until(deadline); rc != 0) {
      sleep_error_.store(rc, std::memory_order_release);
      return;  // a refused deadline would be refused again: stop rather than spin
    }
    const int64_t wake = monotonic_ns();
    for (const auto& f : spec_.functions) f.fn(f.arg, period);
    const int64_t end = monotonic_ns();
    record(wake - deadline, end - wake);
    // The next deadline, even when it has already passed: that period then runs at once (late), so every
    // period's functions run and the cadence catches up instead of losing periods.
    deadline += period;
  }
}

void PeriodicThread::record(int64_t latency_ns, int64_t exec_ns) noexcept {
  latency_.record(latency_ns);
  cycles_.store(cycles_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  last_exec_.store(exec_ns, std::memory_order_relaxed);
  exec_sum_.store(exec_sum_.load(std::memory_order_relaxed) + exec_ns, std::memory_order_relaxed);
  store_max(max_exec_, exec_ns);
  const int64_t cycle = std::max<int64_t>(latency_ns, 0) + exec_ns;
  store_max(max_cycle_, cycle);
  if (latency_ns >= spec_.period_ns) late_.store(late_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (cycle <= spec_.period_ns) return;
  overruns_.store(overruns_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (!overrun_recorded_.load(std::memory_order_relaxed)) {
    first_overrun_latency_.store(latency_ns, std::memory_order_relaxed);
    first_overrun_exec_.store(exec_ns, std::memory_order_relaxed);
    overrun_recorded_.store(true, std::memory_order_release);  // publishes the two figures
  }
}

PeriodicStats PeriodicThread::stats() const {
  PeriodicStats s;
  s.label = label_;
  s.period_ns = spec_.period_ns;
  s.cycles = cycles_.load(std::memory_order_relaxed);
  s.last_exec_ns = last_exec_.load(std::memory_order_relaxed);
  const int64_t sum = exec_sum_.load(std::memory_order_relaxed);
  s.avg_exec_ns = s.cycles > 0 ? sum / static_cast<int64_t>(s.cycles) : 0;
  s.max_exec_ns = max_exec_.load(std::memory_order_relaxed);
  s.max_cycle_ns = max_cycle_.load(std::memory_order_relaxed);
  s.overruns = overruns_.load(std::memory_order_relaxed);
  s.late_periods = late_.load(std::memory_order_relaxed);
  s.sleep_error = sleep_error_.load(std::memory_order_acquire);
  s.latency = latency_.snapshot();
  return s;
}

std::optional<std::string> PeriodicThread::take_overrun_report() {
  if (!overrun_recorded_.load(std::memory_order_acquire)) return std::nullopt;
  if (overrun_reported_.exchange(true)) return std::nullopt;
  const int64_t latency = first_overrun_latency_.load(std::memory_order_relaxed);
  const int64_t exec = first_overrun_exec_.load(std::memory_order_relaxed);
  return "unexpected real-time delay on " + label_ + ": " + format_duration(std::max<int64_t>(latency, 0) + exec) +
         " > period " + format_duration(spec_.period_ns) + " (wake-up latency " + format_duration(latency) +
         " + execution " + format_duration(exec) + ")";  // what to do depends on the caller: it adds that
}

std::optional<std::string> PeriodicThread::take_fault_report() {
  const int error = sleep_error_.load(std::memory_order_acquire);
  if (error == 0 || fault_reported_.exchange(true)) return std::nullopt;
  return label_ + " stopped: clock_nanosleep failed: " + std::strerror(error);
}

Status check_periodic_set(std::span<const PeriodicSpec> specs) {
  if (specs.empty()) return Ok{};
  std::set<std::string> labels;
  const PeriodicSpec* fastest = &specs.front();
  for (const auto& s : specs) {
    const std::string label = s.label.empty() ? s.thread.name : s.label;
    if (s.period_ns <= 0) return Error{label + ": period must be > 0"};
    if (!labels.insert(label).second) return Error{"two periodic threads are named \"" + label + "\""};
    if (s.period_ns < fastest->period_ns) fastest = &s;
  }
  const std::string fast_label = fastest->label.empty() ? fastest->thread.name : fastest->label;
  for (const auto& s : specs) {
    const std::string label = s.label.empty() ? s.thread.name : s.label;
    if (s.period_ns % fastest->period_ns != 0) {
      return Error{label + ": period " + format_duration(s.period_ns) + " is not a whole multiple of " + fast_label +
                   "'s " + format_duration(fastest->period_ns)};
    }
    for (const auto& other : specs) {
      const bool both_rt = s.thread.policy != Policy::kOther && other.thread.policy != Policy::kOther;
      if (both_rt && s.period_ns < other.period_ns && s.thread.priority <= other.thread.priority) {
        return Error{label + " (period " + format_duration(s.period_ns) + ") must have a higher priority than " +
                     (other.label.empty() ? other.thread.name : other.label) + " (period " +
                     format_duration(other.period_ns) + "): the fast thread runs first"};
      }
    }
  }
  return Ok{};
}

Status start_periodic_set(std::span<PeriodicThread* const> threads) {
  if (threads.empty()) return Ok{};
  std::vector<PeriodicThread*> order(threads.begin(), threads.end());
  std::stable_sort(order.begin(), order.end(),
                   [](const PeriodicThread* a, const PeriodicThread* b) { return a->period_ns() < b->period_ns(); });
  // Far enough ahead that every thread is placed before the first deadline (placement locks memory).
  const int64_t fastest = order.front()->period_ns();
  const int64_t lead = 20'000'000;
  const int64_t first = (monotonic_ns() + lead + fastest - 1) / fastest * fastest;
  for (size_t i = 0; i < order.size(); ++i) {
    if (auto st = order[i]->start(first); !st) {
      for (size_t j = 0; j < i; ++j) {
        order[j]->request_stop();
        order[j]->join();
      }
      return st;
    }
  }
  return Ok{};
}

}  // namespace rtstep::rt
