#pragma once
// stepgen: from timed toolhead moves to per-stepper StepSegments (DESIGN.md §1).
//
// StepSolver finds, for one stepper, the exact instant of every step in a move: the stepper's position in
// steps is q = steps_per_mm * (kinematics row . toolhead position), and a step happens when q crosses a
// half-step boundary (n + 0.5 going up, n - 0.5 going down), so the stepper's count is always
// floor(q + 0.5). For the linear kinematics supported so far q is linear in the move's distance, so each
// boundary's time comes straight from the move's profile (Move::time_at_distance), not from iteration.
//
// compress() packs a run of step times into StepSegments whose expansion (ipc/step_segment.hpp) stays
// within `tolerance_ns` of every exact time; it checks every step it emits against that bound.
//
// StepGenerator ties both to a MoveSink: each move becomes segments of all steppers, sorted by first step
// time, delivered to a RecordSink (the ring, in `rtstep run`). All functions are non-real-time (host side).

#include <cstdint>
#include <span>
#include <vector>

#include "config/config.hpp"
#include "ipc/ipc.hpp"
#include "motion/motion.hpp"
#include "util/result.hpp"

namespace rtstep::stepgen {

// Exact step times of one stepper. Keeps the stepper's position (steps) between moves.
class StepSolver {
 public:
  StepSolver(double steps_per_mm, motion::Coord row, int64_t initial_steps) noexcept
      : steps_per_mm_(steps_per_mm), row_(row), position_(initial_steps) {}

  // Appends the step times of `move` (absolute ns: `origin_ns` + print time) to `times` and returns the
  // direction of those steps (1 = positive); `times` stays empty when the stepper does not move.
  uint8_t solve(const motion::Move& move, int64_t origin_ns, std::vector<int64_t>& times);

  int64_t position() const noexcept { return position_; }  // steps, floor(q + 0.5)
  // The step count floor(q + 0.5) for a toolhead position: what the stepper must read when it gets there.
  int64_t steps_at(const motion::Coord& pos) const noexcept;

 private:
  double steps_at_exact(const motion::Coord& pos) const noexcept;
  double steps_per_mm_;
  motion::Coord row_;
  int64_t position_;
};

// Appends segments covering `times` (strictly increasing, ns) for `stepper` in direction `dir` to `out`.
// Every step's expansion is within `tolerance_ns` of its exact time and every segment is ipc::is_valid.
// Returns false only if the times themselves cannot be expressed (two steps closer than
// ipc::kMinStepIntervalNs); nothing is appended for them then.
bool compress(std::span<const int64_t> times, uint8_t stepper, uint8_t dir, int64_t tolerance_ns,
              std::vector<ipc::StepSegment>& out);

// Where the generator delivers its records, in nondecreasing time order.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual Status push(const ipc::Record& record) = 0;
};

struct StepperTotals {
  uint64_t steps = 0;     // steps generated
  uint64_t segments = 0;  // segments generated
};

class StepGenerator final : public motion::MoveSink {
 public:
  // `origin_ns`: the CLOCK_MONOTONIC time of print time 0. `start`: the toolhead position before the
  // first move, from which every stepper's initial count is taken.
  StepGenerator(const config::MachineConfig& machine, const motion::Kinematics& kinematics, const motion::Coord& start,
                int64_t origin_ns, int64_t tolerance_ns, RecordSink& sink);

  Status on_move(const motion::Move& move) override;
  Status on_enable(std::size_t stepper, bool enabled, double time) override;

  std::size_t stepper_count() const noexcept { return solvers_.size(); }
  int64_t initial_steps(std::size_t i) const noexcept { return initial_[i]; }
  int64_t position_steps(std::size_t i) const noexcept { return solvers_[i].position(); }
  int64_t steps_at(std::size_t i, const motion::Coord& pos) const noexcept { return solvers_[i].steps_at(pos); }
  const StepperTotals& totals(std::size_t i) const noexcept { return totals_[i]; }
  int64_t to_ns(double print_time) const noexcept;

 private:
  const config::MachineConfig& machine_;
  std::vector<StepSolver> solvers_;
  std::vector<int64_t> initial_;
  std::vector<StepperTotals> totals_;
  int64_t origin_ns_;
  int64_t tolerance_ns_;
  RecordSink& sink_;
  std::vector<int64_t> times_;                 // reused per stepper per move
  std::vector<ipc::StepSegment> segments_;     // reused per move
};

}  // namespace rtstep::stepgen
