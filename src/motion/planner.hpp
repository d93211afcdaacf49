#pragma once
// LookAhead: the look-ahead queue that gives every move its trapezoid (Klipper-compatible semantics, so the
// same printer.cfg gives the same motion; docs/motion.md).
//
// Each queued move carries its limits as squared speeds: max_cruise_v2 (feed rate, max_velocity, Z and
// extruder limits), delta_v2 = 2 * distance * accel (the most a move can change v^2), and max_start_v2, the
// junction limit with the previous move from junction deviation (square_corner_velocity), the
// "approximated centripetal velocity" bound, and the extruder's instant_corner_velocity. The smoothed
// pass uses accel * (1 - minimum_cruise_ratio) to pick cruise speeds, so that short zig-zags do not
// accelerate to a peak for a single instant (Klipper's minimum_cruise_ratio).
//
// plan(lazy) walks the queue backwards assuming the last move ends at rest. Lazily (window full), it only
// finalises the moves whose profile can no longer change whatever is queued later; otherwise all of them.
// Memory: the queue holds at most about `kFlushTime` of motion or kMaxQueued moves, never the file.
// Non-real-time.

#include <cstddef>
#include <deque>
#include <vector>

#include "motion/motion.hpp"

namespace rtstep::motion {

struct PlanMove {
  Move move;                 // geometry and line; the profile is filled in by the planner
  bool kinematic = true;     // moves X, Y or Z (false: extrude-only)
  double accel = 0;          // mm/s^2 after all limits
  double max_cruise_v2 = 0;  // mm^2/s^2
  double delta_v2 = 0;       // 2 * distance * accel
  double smooth_delta_v2 = 0;  // 2 * distance * accel * (1 - minimum_cruise_ratio), <= delta_v2
  double junction_deviation = 0;  // mm
  double min_move_t = 0;     // s: distance / max cruise speed
  double max_start_v2 = 0;   // set by the junction with the previous move
  double max_smoothed_v2 = 0;

  // Initialises the limits for a move with these caps (speed and acceleration, after kinematic limits).
  void init(double speed, double accel_limit, double accel_to_decel, double jd) noexcept;
};

class LookAhead {
 public:
  static constexpr double kFlushTime = 0.25;      // s of queued motion before a lazy plan (as Klipper)
  static constexpr std::size_t kMaxQueued = 4096;  // moves: bounds memory when moves are tiny

  explicit LookAhead(double instant_corner_velocity) : instant_corner_v_(instant_corner_velocity) {}

  // Queues a move; may plan lazily when the window is full. Finished moves are then available to pop().
  void add(const PlanMove& move);
  // Plans everything queued, the last move ending at rest.
  void flush() { plan(false); }
  // Takes the next finished move (profile set, start time not yet); false when none.
  bool pop(Move& out);
  // Stop as soon as possible (pause, cancel, SIGTERM): keeps only as much of the moves not yet popped as
  // the toolhead needs to slow from the speed the last popped move ends at to rest, cutting the last move
  // kept where that stop completes, and returns the rest (the cut move's remainder first), in order, for
  // the caller to replay later or drop. Call flush() next: the moves kept then end at rest.
  std::vector<PlanMove> stop_short();
  bool empty() const noexcept { return queue_.empty(); }

 private:
  void junction(PlanMove& move, const PlanMove& prev) const noexcept;
  void plan(bool lazy);

  struct Delayed { std::size_t index; double start_v2, end_v2; };
  double instant_corner_v_;
  std::deque<PlanMove> queue_;
  std::size_t ready_ = 0;  // moves at the front of queue_ whose profile is final
  double popped_end_v2_ = 0;  // squared end speed of the last move popped: where queue_[ready_] starts
  double flush_budget_ = kFlushTime;
  std::vector<Delayed> delayed_;  // scratch of plan()
};

}  // namespace rtstep::motion
