#pragma once
// The G-code job that the `motmod` HAL component plays (`rtstep hal FILE.hal --gcode part.gcode --config
// printer.cfg`): LinuxCNC's motion component, fed by rtstep's own planner.
//
// Two sides meet in a fixed-capacity single-producer single-consumer queue of records:
//   - the feeder (a non-real-time std::thread started by start_feeder) reads the G-code, runs the
//     toolhead and look-ahead planner (motion::Toolhead) and pushes every planned move and every stepper
//     enable/disable, in print-time order. When the queue is full it waits: a move is never dropped.
//   - motmod's functions (servo thread, real-time) take records from the queue and turn the current move
//     into each joint's commanded position every servo period (motmod.cpp).
// Joints are the machine's steppers in printer.cfg order (stepper_x, stepper_y, stepper_z, ..., extruder);
// a joint's position is in mm of that stepper's own travel (the kinematics' map), so `stepgen.N.position-
// scale` is the stepper's steps per mm.

#include <array>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "motion/motion.hpp"
#include "util/result.hpp"

namespace rtstep::hal {

inline constexpr std::size_t kMaxJoints = 16;

// One queue entry: a planned move, or a stepper's enable changing at a print time.
struct MotionRecord {
  enum class Kind : uint8_t { kMove, kEnable };
  Kind kind = Kind::kMove;
  bool enabled = false;   // kEnable: the new state
  uint16_t joint = 0;     // kEnable: the stepper index
  double time = 0;        // kEnable: s of print time
  motion::Move move;      // kMove
};
static_assert(std::is_trivially_copyable_v<MotionRecord>);

class MotionJob {
 public:
  // Opens `gcode_path` and builds the kinematics of `machine`. `queue_records` is the queue's capacity
  // (how far the planner may run ahead of the servo thread). Non-real-time.
  static Result<std::unique_ptr<MotionJob>> create(config::MachineConfig machine, std::string gcode_path,
                                                   std::size_t queue_records = 1024);
  ~MotionJob();  // stops and joins the feeder
  MotionJob(const MotionJob&) = delete;
  MotionJob& operator=(const MotionJob&) = delete;

  // --- Configuration side (non-real-time) ---
  std::size_t joint_count() const noexcept { return machine_.steppers.size(); }
  const std::string& joint_name(std::size_t joint) const { return machine_.steppers[joint].name; }
  // Steps per mm of the joint's stepper (full steps * microsteps * gear ratio / rotation distance).
  double steps_per_mm(std::size_t joint) const;
  // The joint's position (mm) before the first move: where the carriages rest when the job starts.
  double initial_joint_position(std::size_t joint) const noexcept;
  // The toolhead position (mm) before the first move.
  motion::Coord initial_toolhead_position() const noexcept { return motion::initial_position(machine_); }
  // Stepper position = row · toolhead position (mm).
  const motion::Coord& joint_row(std::size_t joint) const noexcept { return kinematics_.row(joint); }
  const std::string& gcode_path() const noexcept { return gcode_path_; }

  // Starts the feeder thread; planner notes ("ignoring unknown command") go to `log`, which must outlive
  // the feeder. Once only.
  Status start_feeder(std::ostream& log);
  void stop_feeder();  // asks the feeder to stop (a full queue no longer waits) and joins it
  // The feeder has pushed its last record (after the end of the file, an error or stop_feeder).
  // Real-time safe.
  bool feeder_done() const noexcept { return feeder_done_.load(std::memory_order_acquire); }
  // After feeder_done: the first G-code error ("part.gcode:88: move out of range: ..."), empty if none.
  std::string feeder_error() const;
  uint64_t records_pushed() const noexcept { return pushed_.load(std::memory_order_relaxed); }
  uint64_t moves_pushed() const noexcept { return moves_pushed_.load(std::memory_order_relaxed); }
  double planned_print_time() const noexcept { return print_time_.load(std::memory_order_relaxed); }

  // --- Consumer side: motmod's servo functions only. Real-time safe. ---
  // The oldest record, without removing it; null when the queue is empty.
  [[nodiscard]] const MotionRecord* try_front() const noexcept;
  void pop() noexcept;  // precondition: try_front() returned a record
  std::size_t queued() const noexcept {
    return static_cast<std::size_t>(tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_relaxed));
  }
  std::size_t capacity() const noexcept { return slots_.size(); }

  // --- Playback state, written by motmod (real-time), read by anyone ---
  struct Progress {
    std::atomic<uint64_t> moves_played{0};
    std::atomic<uint64_t> underrun_periods{0};  // servo periods the clock held because the queue ran dry
    std::atomic<uint32_t> underrun_line{0};     // G-code line of the move that ran dry first
    std::atomic<bool> finished{false};          // every record played and the last move ended
    std::atomic<bool> attached{false};          // a motmod instance plays this job
  };
  Progress& progress() noexcept { return progress_; }
  const Progress& progress() const noexcept { return progress_; }

 private:
  class QueueSink;
  MotionJob(config::MachineConfig machine, motion::Kinematics kinematics, std::string gcode_path,
            std::size_t queue_records);
  void feed(std::ostream& log);
  // Feeder side: waits while the queue is full; false when stop_feeder asked to stop.
  bool push(const MotionRecord& record);

  config::MachineConfig machine_;
  motion::Kinematics kinematics_;
  std::string gcode_path_;
  std::ifstream gcode_;
  std::thread feeder_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> feeder_done_{false};
  mutable std::mutex error_mutex_;  // guards error_ (written by the feeder, read after feeder_done)
  std::string error_;
  std::atomic<uint64_t> pushed_{0};
  std::atomic<uint64_t> moves_pushed_{0};
  std::atomic<double> print_time_{0};
  Progress progress_;

  // The queue: slots_ is fixed at create; head_ is written by the consumer, tail_ by the feeder, each on
  // its own cache line.
  std::vector<MotionRecord> slots_;
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
};

// `rtstep hal --gcode` checks the .hal file wired the job: motmod loaded, motion-command-handler and
// motion-controller in one thread, the handler first, and that thread started.
class Hal;
Status check_motion_wiring(const Hal& hal);

}  // namespace rtstep::hal
