// SplitSteps (see split_steps.hpp).
#include "machine/split_steps.hpp"

#include <algorithm>

#include "util/clock.hpp"

namespace rtstep::machine {
namespace {

// Steps of `s` whose time is at most `t_ns`: step times rise with k, so a binary search.
uint64_t steps_before(const ipc::StepSegment& s, int64_t t_ns) {
  uint32_t due = 0, not_due = s.count;  // steps [0, due) are due, [not_due, count) are not
  while (due < not_due) {
    const uint32_t mid = due + (not_due - due) / 2;
    if (s.step_time(mid) <= t_ns) {
      due = mid + 1;
    } else {
      not_due = mid;
    }
  }
  return due;
}

}  // namespace

Status SplitSteps::push(const ipc::Record& record) {
  Status pushed = link_.push(record);
  if (pushed.ok() && record.kind == ipc::RecordKind::kSegment) {
    std::lock_guard lock(mu_);
    resolve_homing();
    sent_.push_back({record.segment, sending_homing_ ? homing_ : 0});
    retire(monotonic_ns());  // keeps sent_ to the motion still to come, with or without a progress line
  }
  return pushed;
}

void SplitSteps::homing_move(bool sending) {
  std::lock_guard lock(mu_);
  resolve_homing();  // the previous move's report came before this move could start
  sending_homing_ = sending;
  if (sending) homing_ = ring_.homing_sequence() + 1;
}

uint64_t SplitSteps::due(int64_t now_ns) {
  std::lock_guard lock(mu_);
  if (settled_) return done_;
  resolve_homing();
  retire(now_ns);
  uint64_t steps = done_;
  for (const auto& s : sent_) steps += steps_before(s.segment, std::min(now_ns, s.until_ns - 1));
  return steps;
}

void SplitSteps::settle(uint64_t steps) {
  std::lock_guard lock(mu_);
  settled_ = true;
  done_ = steps;
}

void SplitSteps::resolve_homing() {
  // The report of homing_ stays as it is until the host sends the next homing move, which waits for it.
  if (homing_ == 0 || sending_homing_ || ring_.homing_sequence() != homing_) return;
  const ipc::HomingReport report = ring_.homing_report();
  for (auto& s : sent_) {
    if (s.homing == homing_ && report.tripped != 0) s.until_ns = report.trip_time_ns;
    if (s.homing == homing_) s.homing = 0;
  }
  homing_ = 0;
}

void SplitSteps::retire(int64_t now_ns) {
  const auto over = [&](const Sent& s) {
    return s.homing == 0 && std::min(s.segment.last_time(), s.until_ns - 1) <= now_ns;
  };
  while (!sent_.empty() && over(sent_.front())) {
    done_ += steps_before(sent_.front().segment, sent_.front().until_ns - 1);
    sent_.pop_front();
  }
}

}  // namespace rtstep::machine
