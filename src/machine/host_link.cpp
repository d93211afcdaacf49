// HostLink (see host_link.hpp).
#include "machine/host_link.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "util/clock.hpp"

namespace rtstep::machine {

namespace {

constexpr auto kBeatPeriod = std::chrono::milliseconds(5);
constexpr int64_t kRestingBeatCeilingNs = 20'000'000;
constexpr auto kFullWait = std::chrono::microseconds(200);

// The heartbeat's period while no motion sent is still to run: a fifth of the timeout (both sides' watch
// keeps a wide margin, as with the executor's resting poll: executor::resting_poll_for), from kBeatPeriod up
// to 20 ms. Waking every 5 ms costs an idle machine a few tenths of a percent of a core for nothing.
std::chrono::nanoseconds resting_beat_period(int64_t timeout_ns) {
  const int64_t fifth = std::min(timeout_ns / 5, kRestingBeatCeilingNs);
  return std::max<std::chrono::nanoseconds>(std::chrono::nanoseconds(fifth), kBeatPeriod);
}

// The heartbeat thread inherits the host thread's policy. At the same SCHED_FIFO priority, a host thread
// computing for longer than the timeout would silence its own heartbeat and both sides would call the other
// lost; one step above, the watchdog always gets its few microseconds every period.
void place_above_creator() {
  pthread_setname_np(pthread_self(), "rtstep-beat");
  int policy = 0;
  sched_param param{};
  if (pthread_getschedparam(pthread_self(), &policy, &param) != 0) return;
  if (policy != SCHED_FIFO && policy != SCHED_RR) return;
  if (param.sched_priority >= sched_get_priority_max(policy)) return;
  ++param.sched_priority;
  pthread_setschedparam(pthread_self(), policy, &param);
}

}  // namespace

HostLink::HostLink(ipc::SegmentRing& producer, int64_t timeout_ns) : ring_(producer), timeout_ns_(timeout_ns) {}

HostLink::~HostLink() { detach(); }

void HostLink::start() {
  ring_.beat_host();
  thread_ = std::thread([this] { heartbeat_loop(); });
}

// Beats and watches the executor's beat. Runs until detach(). Every kBeatPeriod while motion sent is still
// to run, at the resting period otherwise: also while only the heaters' commands (push_now) are queued.
void HostLink::heartbeat_loop() {
  place_above_creator();
  const std::chrono::nanoseconds resting = resting_beat_period(timeout_ns_);
  uint64_t seen = ring_.executor_beats();
  int64_t seen_at = monotonic_ns();
  while (!quit_.load(std::memory_order_acquire)) {
    ring_.beat_host();
    const int64_t now = monotonic_ns();
    const uint64_t beats = ring_.executor_beats();
    if (beats != seen) {
      seen = beats;
      seen_at = now;
    } else if (now - seen_at > timeout_ns_ && !executor_lost_.load(std::memory_order_relaxed)) {
      lost_after_ns_.store(now - seen_at, std::memory_order_relaxed);
      executor_lost_.store(true, std::memory_order_release);
    }
    const bool moving = last_pushed_ns_.load(std::memory_order_relaxed) >= now;
    std::this_thread::sleep_for(moving ? std::chrono::nanoseconds(kBeatPeriod) : resting);
  }
}

Status HostLink::blocked_reason() const {
  if (emergency_.load(std::memory_order_acquire)) return Error{"emergency stop (" + emergency_why_ + ")"};
  if (executor_lost_.load(std::memory_order_acquire)) {
    return Error{fmt::format("executor lost: no heartbeat for {:.1f} ms; the host stopped sending motion",
                             static_cast<double>(lost_after_ns_.load(std::memory_order_relaxed)) / 1e6)};
  }
  ipc::ExecutorResult ignored;
  if (ring_.try_result(ignored)) return Error{"the executor stopped while the host was still sending motion"};
  return Ok{};
}

Status HostLink::wait_for_executor(const std::atomic<bool>* cancel) const {
  while (!ring_.executor_started()) {
    if (cancel != nullptr && cancel->load(std::memory_order_acquire)) return Error{"stopped before the executor started"};
    if (auto st = blocked_reason(); !st) return st;
    // Before it starts, only `rtstep rt` stops a job: it could not set up the executor (its log says why).
    if (ring_.stop_requested() != ipc::StopCause::kNone) {
      return Error{"rtstep rt could not start the executor for this job and stopped it (its log says why)"};
    }
    std::this_thread::sleep_for(kBeatPeriod);
  }
  return Ok{};
}

Status HostLink::wait_for_lead(int64_t record_ns) {
  constexpr int64_t kLeadPoll = 1'000'000;
  if (record_ns - monotonic_ns() <= lead_ns_) return Ok{};
  // Records go out in time order (RecordSink), so nothing still to come lies before this one: say so, or the
  // executor, which may not serve an edge while a record before it could still arrive, would wait for it
  // and underrun.
  ring_.set_horizon(record_ns - 1);
  for (int64_t ahead = record_ns - monotonic_ns(); ahead > lead_ns_; ahead = record_ns - monotonic_ns()) {
    if (auto st = blocked_reason(); !st) return st;
    if (wait_hook_) wait_hook_();
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(ahead - lead_ns_, kLeadPoll)));
  }
  return Ok{};
}

Status HostLink::push(const ipc::Record& record) {
  if (auto st = blocked_reason(); !st) return st;
  if (lead_ns_ > 0 && !lead_suspended_ && record.kind != ipc::RecordKind::kEndOfStream) {
    if (auto st = wait_for_lead(record.time_ns()); !st) return st;
  }
  if (diverter_ != nullptr) {
    auto taken = diverter_->divert(record);
    if (!taken) return taken.error();
    if (*taken) {
      last_record_ns_.store(record.time_ns(), std::memory_order_relaxed);
      last_pushed_ns_.store(record.time_ns(), std::memory_order_relaxed);
      return Ok{};
    }
  }
  for (int polls = 0; !ring_.try_push(record); ++polls) {
    if (auto st = blocked_reason(); !st) return st;
    if (ring_.corrupted()) return Error{"shared memory " + ring_.name() + ": ring indices corrupted"};
    if (wait_hook_ && polls % 5 == 0) wait_hook_();
    std::this_thread::sleep_for(kFullWait);
  }
  if (record.kind != ipc::RecordKind::kEndOfStream) {
    last_record_ns_.store(record.time_ns(), std::memory_order_relaxed);
    last_pushed_ns_.store(record.time_ns(), std::memory_order_relaxed);
  }
  records_.fetch_add(1, std::memory_order_relaxed);
  return Ok{};
}

Result<bool> HostLink::push_now(const ipc::Record& record) {
  if (auto st = blocked_reason(); !st) return st.error();
  if (!ring_.try_push(record)) return false;
  if (record.time_ns() > last_record_ns_.load(std::memory_order_relaxed)) {
    last_record_ns_.store(record.time_ns(), std::memory_order_relaxed);
  }
  records_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Status HostLink::end_stream() {
  return push(ipc::Record::end_of_stream());
}

void HostLink::emergency_stop(const std::string& why) {
  if (emergency_.load(std::memory_order_acquire)) return;  // the first cause stands (and is not rewritten)
  emergency_why_ = why;
  emergency_.store(true, std::memory_order_release);
  ring_.request_stop(ipc::StopCause::kEmergency);
}

Result<ipc::ExecutorResult> HostLink::wait_result() {
  ipc::ExecutorResult result;
  while (!ring_.try_result(result)) {
    if (executor_lost_.load(std::memory_order_acquire)) {
      return Error{fmt::format("executor lost: no heartbeat for {:.1f} ms",
                               static_cast<double>(lost_after_ns_.load(std::memory_order_relaxed)) / 1e6)};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return result;
}

void HostLink::detach() {
  quit_.store(true, std::memory_order_release);
  if (thread_.joinable()) {
    thread_.join();
    ring_.mark_host_done();
  }
}

std::string HostLink::stop_reason() const {
  if (emergency_.load(std::memory_order_acquire)) return "emergency stop (" + emergency_why_ + ")";
  return {};
}

}  // namespace rtstep::machine
