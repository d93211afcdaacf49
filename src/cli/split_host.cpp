// Split mode, the host's side (see split_host.hpp).
#include "cli/split_host.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "cli/progress.hpp"
#include "util/clock.hpp"

namespace rtstep::cli {
namespace {

// Whether the host that claimed `ring` has finished its job or is gone: `rtstep rt` then makes a fresh ring.
bool job_over(const ipc::SegmentRing& ring, int32_t holder) {
  return ring.host_done() || (kill(holder, 0) != 0 && errno == ESRCH);
}

// Whether the ring's shared-memory object exists (POSIX shared memory lives in /dev/shm on Linux).
bool ring_exists(const std::string& object_name) { return ::access(("/dev/shm" + object_name).c_str(), F_OK) == 0; }

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

Result<ipc::SegmentRing> connect_to_rt(const RunOptions& options, std::ostream& log) {
  constexpr auto kRetryPeriod = std::chrono::milliseconds(5);
  const std::string name = ipc::ring_object_name(options.connect_name);  // "rtstep" as `rtstep rt` takes it: "/rtstep"
  const int64_t give_up_ns = monotonic_ns() + static_cast<int64_t>(options.connect_wait_s * 1e9);
  std::optional<Progress> waiting;  // shows the wait for a missing ring
  if (options.connect_wait_s > 0 && !ring_exists(name)) {
    log << fmt::format("rtstep run: waiting up to {:g} s for ring {}: start `rtstep rt --ring {} --config FILE`\n",
                       options.connect_wait_s, name, name)
        << std::flush;
    waiting.emplace(log, options.log_is_terminal, elapsed_progress("waiting for ring " + name, options.connect_wait_s));
    if (options.progress) waiting->start();
  }
  for (;;) {
    auto ring = ipc::SegmentRing::attach_when_ready(name, give_up_ns - monotonic_ns());
    // The wait is over: its display ends before the claim, from which `rtstep rt` expects this host's
    // heartbeat within [rt] heartbeat_timeout (ending the display may take a tick of it).
    waiting.reset();
    if (!ring) return Error{ring.error().message + " (is `rtstep rt --ring " + name + "` running?)"};
    // One host per job: the claim is atomic, so two hosts starting together cannot both get it.
    const int32_t holder = ring->try_claim_host(getpid());
    if (holder == getpid()) {
      if (ring->stop_requested() != ipc::StopCause::kNone) return Error{"shared memory " + name + ": the ring was stopped"};
      return ring;
    }
    if (!job_over(*ring, holder) || monotonic_ns() >= give_up_ns) {
      return Error{"shared memory " + name + ": the executor is busy: host pid " + std::to_string(holder) +
                   " is attached (one host at a time; try again when its job has ended)"};
    }
    std::this_thread::sleep_for(kRetryPeriod);
  }
}

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

}  // namespace rtstep::cli
