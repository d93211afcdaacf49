#pragma once
// HostLink: the host's end of the ring (DESIGN.md §3). It is the RecordSink the host pipeline pushes into
// (waiting for room when the ring is full: back-pressure, never loss), keeps the host's heartbeat going on
// its own thread, watches the executor's heartbeat, and stops the executor at once on an emergency stop
// (M112, SIGINT: the command that owns the link calls emergency_stop()). Non-real-time.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "ipc/ipc.hpp"
#include "stepgen/stepgen.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

// Takes some records off the ring's way: the segments of steppers on a board flashed with Klipper's firmware
// (machine/mcu_boards.hpp). HostLink holds them to the same lead and stop rules as the ring's records.
class RecordDiverter {
 public:
  virtual ~RecordDiverter() = default;
  // Called on the pushing thread. True: the record is taken (it does not go into the ring). An error stops
  // pushing as a lost executor does (the board shut down).
  virtual Result<bool> divert(const ipc::Record& record) = 0;
};

class HostLink final : public stepgen::RecordSink {
 public:
  // `timeout_ns`: the executor is lost when its heartbeat has not moved for this long.
  HostLink(ipc::SegmentRing& producer, int64_t timeout_ns);
  ~HostLink() override;
  HostLink(const HostLink&) = delete;
  HostLink& operator=(const HostLink&) = delete;

  // Starts the heartbeat thread (watches the executor; beats every 5 ms while motion sent is
  // still to run, every fifth of the timeout up to 20 ms while none is).
  void start();
  // Bounded lead (DESIGN.md §2): push() holds a record back until its time is at most `lead_ns` ahead of
  // CLOCK_MONOTONIC, so a pause, a cancel or SIGTERM stops motion within the lead. 0 (the default, and on
  // the virtual clock, whose executor keeps no real time): no bound, only the ring's capacity. Set before
  // the first push.
  void set_lead(int64_t lead_ns) noexcept { lead_ns_ = lead_ns; }
  // Lifts the bound for a while (a homing search move goes out whole) and puts it back.
  void suspend_lead(bool suspended) noexcept { lead_suspended_ = suspended; }
  // Called on the pushing thread, about every millisecond, while push() waits for the lead or for room: the
  // controller answers status queries and keeps its heaters controlled meanwhile. It must not push.
  void set_wait_hook(std::function<void()> hook) { wait_hook_ = std::move(hook); }
  // Records `diverter` takes go to it instead of the ring (null: none). Set before the first push.
  void set_diverter(RecordDiverter* diverter) noexcept { diverter_ = diverter; }
  // Waits until the executor runs (SegmentRing::executor_started): a connected `rtstep rt` may still be
  // locking memory and opening pins. Errors as push() (it is lost meanwhile, an emergency stop).
  // `cancel`, when given and set (the controller stops meanwhile), ends the wait with an error too.
  Status wait_for_executor(const std::atomic<bool>* cancel = nullptr) const;
  // Pushes one record, waiting while the ring is full or the record is beyond the lead. Errors: the executor is lost or has ended, an
  // emergency stop (the host then sends no more motion; end_stream() still works).
  Status push(const ipc::Record& record) override;
  // Pushes a soft-PWM command now if the ring has room, without waiting for the lead: the executor applies a
  // duty whose time has passed when it reads it, and such records keep only their own output's time order
  // (executor.hpp), so this works even while push() holds a later record back. Called on the pushing thread,
  // also from the wait hook.
  // False: the ring is full (try again later). Errors as push().
  Result<bool> push_now(const ipc::Record& record);
  // Publishes the host's horizon in the ring (SegmentRing::set_horizon).
  void set_horizon(int64_t t_ns) override { ring_.set_horizon(t_ns); }
  // Ends the stream so the executor finishes what is queued. Errors as push().
  Status end_stream();
  // Asks the executor to stop at once (M112, SIGINT). The first cause is kept; calls from several threads
  // must be serialised by the caller (the controller holds its motion lock).
  void emergency_stop(const std::string& why);
  // Waits for the executor's result. Errors: the executor is lost (heartbeat timeout) meanwhile.
  Result<ipc::ExecutorResult> wait_result();
  // Stops the heartbeat thread and tells the executor side the host is done (split mode). Idempotent.
  void detach();

  int64_t last_record_ns() const noexcept { return last_record_ns_.load(std::memory_order_relaxed); }
  uint64_t records() const noexcept { return records_.load(std::memory_order_relaxed); }
  // Why the host stopped early ("" when it did not): "emergency stop (SIGINT)", ...
  std::string stop_reason() const;
  bool executor_lost() const noexcept { return executor_lost_.load(std::memory_order_acquire); }

 private:
  void heartbeat_loop();
  Status blocked_reason() const;  // non-OK when pushing must stop
  Status wait_for_lead(int64_t record_ns);
  int64_t lead_ns_ = 0;
  bool lead_suspended_ = false;
  std::function<void()> wait_hook_;
  RecordDiverter* diverter_ = nullptr;
  ipc::SegmentRing& ring_;
  int64_t timeout_ns_;
  std::thread thread_;
  std::atomic<bool> quit_{false};
  std::atomic<bool> executor_lost_{false};
  std::atomic<bool> emergency_{false};
  std::atomic<int64_t> lost_after_ns_{0};
  std::atomic<int64_t> last_record_ns_{0};
  std::atomic<int64_t> last_pushed_ns_{0};  // the last record through push() (motion), for the beat's pace
  std::atomic<uint64_t> records_{0};
  std::string emergency_why_;  // written before emergency_ is set (release)
};

}  // namespace rtstep::machine
