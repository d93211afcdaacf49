#pragma once
// stepgen: from timed toolhead moves to per-stepper StepSegments (DESIGN.md §1).
//
// StepSolver finds, for one stepper, the exact instant of every step in a move: the stepper's position in
// steps is q = steps_per_mm * (kinematics row . toolhead position), and a step happens when q crosses a
// half-step boundary (n + 0.5 going up, n - 0.5 going down), so the stepper's count is always
// floor(q + 0.5). For the linear kinematics q is linear in the move's distance, so each boundary's time
// comes in closed form from the trapezoid phase it falls in: a multiply-add in the cruise, one square root in
// a ramp. The count is taken from floor(q + 0.5) of the move's end, so it cannot drift over a print.
// "Exact" step times are those instants rounded to the nearest nanosecond.
//
// StepCompressor packs one stepper's exact times into StepSegments whose expansion (ipc/step_segment.hpp)
// stays within `tolerance_ns` of every exact time; it re-expands every segment it emits, step by step, and
// never emits one that breaks the bound. Segments span move boundaries. A cruise, whose exact times are
// linear in the step index, is compressed from that closed form instead: each segment's bound is proven
// from its two end steps (cruise_compressor.cpp), so a cruise's steps are never generated one by one.
//
// StepGenerator ties both to a MoveSink: per stepper it solves each move, compresses, and merges the
// steppers' segment streams (and enable-pin records) by time into one nondecreasing record stream for a
// RecordSink (the ring in `rtstep run`). Its buffers are bounded: held-back steps per stepper are at most
// StepCompressor::kHoldSteps plus one move, and never
// more than StepGenerator::kHoldNs of print time. All functions are non-real-time (host side).

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "ipc/ipc.hpp"
#include "motion/motion.hpp"
#include "util/result.hpp"

namespace rtstep::stepgen {

// A FIFO of step times (ns) that grows without zero-filling and drops consumed steps lazily: the solver
// writes straight into it and the compressor reads it in place, so no step time is copied on the way.
class StepBuffer {
 public:
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return end_ == begin_; }
  const int64_t* data() const noexcept { return data_.get() + begin_; }
  int64_t front() const noexcept { return data_[begin_]; }
  // Room for `n` more times at the back; the caller fills all of them.
  int64_t* append(std::size_t n);
  void consume(std::size_t n) noexcept { begin_ += n; }  // drops n from the front, n <= size()
  void clear() noexcept { begin_ = end_ = 0; }

 private:
  std::unique_ptr<int64_t[]> data_;
  std::size_t begin_ = 0, end_ = 0, capacity_ = 0;
};

// The exact step times of one stepper over one move, evaluated on demand (StepSolver::take). Step k
// (0 <= k < count()) falls in the acceleration for k < accel_end(), in the cruise for k < cruise_end(), else
// in the deceleration. In the cruise, time is linear in k: cruise_time(k) = origin + round(a + k * b), which
// lets the compressor prove a segment's error from its two ends instead of step by step.
class MoveSteps {
 public:
  int64_t count() const noexcept { return count_; }
  uint8_t dir() const noexcept { return dir_; }  // 1 = positive
  int64_t accel_end() const noexcept { return accel_end_; }
  int64_t cruise_end() const noexcept { return cruise_end_; }
  // Writes the exact times of steps [begin, end) to out[0 .. end - begin).
  void times(int64_t begin, int64_t end, int64_t* out) const noexcept;
  // Exact time of step k of the cruise (accel_end() <= k < cruise_end()), and the real numbers behind it.
  int64_t cruise_time(int64_t k) const noexcept;
  double cruise_a_ns() const noexcept { return cruise_a_ns_; }
  double cruise_b_ns() const noexcept { return cruise_b_ns_; }  // ns per step

 private:
  friend class StepSolver;
  void accel_times(int64_t begin, int64_t end, int64_t* out) const noexcept;
  void cruise_times(int64_t begin, int64_t end, int64_t* out) const noexcept;
  void decel_times(int64_t begin, int64_t end, int64_t* out) const noexcept;
  // The first k in [lo, count) whose distance d0 + k * dd exceeds `distance` (count if none).
  int64_t first_beyond(double distance, int64_t lo) const noexcept;

  int64_t count_ = 0;
  uint8_t dir_ = 1;
  int64_t accel_end_ = 0, cruise_end_ = 0;
  int64_t origin_ns_ = 0;
  double d0_ = 0, dd_ = 0;                     // mm along the move of step 0, mm per step
  double base_ns_ = 0, inv_accel_ns_ = 0;      // move start (ns of print time), 1e9 / accel
  double v0_ = 0, two_a_ = 0;                  // start speed (mm/s), 2 * accel (mm/s^2)
  double cruise_a_ns_ = 0, cruise_b_ns_ = 0;   // cruise: ns of print time = a + k * b
  double vc_ = 0, cruise_end_d_ = 0, decel_base_ns_ = 0;  // decel: from the end of the cruise
};

// Exact step times of one stepper. Keeps the stepper's position (steps) between moves.
class StepSolver {
 public:
  StepSolver(double steps_per_mm, motion::Coord row, int64_t initial_steps) noexcept
      : steps_per_mm_(steps_per_mm), row_(row), position_(initial_steps) {}

  // Appends the step times of `move` (absolute ns: `origin_ns` + print time) to `times` and returns the
  // direction of those steps (1 = positive); nothing is appended when the stepper does not move.
  uint8_t solve(const motion::Move& move, int64_t origin_ns, std::vector<int64_t>& times);
  // Same, appending to a StepBuffer; returns the number of steps appended.
  std::size_t solve(const motion::Move& move, int64_t origin_ns, StepBuffer& times);
  // The steps of `move` without computing their times yet; the count moves to the end of the move.
  MoveSteps take(const motion::Move& move, int64_t origin_ns) noexcept;
  // Steps `move` takes this stepper from its current count, signed (positive = up).
  int64_t steps_in(const motion::Move& move) const noexcept { return steps_at(move.end) - position_; }
  // Steps per second this stepper reaches at the top speed of `move`.
  double peak_step_rate(const motion::Move& move) const noexcept;

  int64_t position() const noexcept { return position_; }  // steps, floor(q + 0.5)
  // Redefines the count (homing: where the executor really stopped). Only between moves.
  void set_position(int64_t steps) noexcept { position_ = steps; }
  // The step count floor(q + 0.5) for a toolhead position: what the stepper must read when it gets there.
  int64_t steps_at(const motion::Coord& pos) const noexcept;

 private:
  double steps_at_exact(const motion::Coord& pos) const noexcept;
  double steps_per_mm_;
  motion::Coord row_;
  int64_t position_;
};

// Streaming compressor of one stepper's steps in one direction at a time.
class StepCompressor {
 public:
  // Longest segment the compressor builds; also bounds the steps it holds back between moves.
  static constexpr uint32_t kMaxRun = 1U << 16;
  // Without `all`, compress() leaves up to this many steps pending so that the next move can extend them.
  static constexpr uint32_t kHoldSteps = 1U << 13;

  StepCompressor(uint8_t stepper, int64_t tolerance_ns) noexcept : stepper_(stepper), tolerance_ns_(tolerance_ns) {}

  // Steps waiting to be compressed (strictly increasing ns, all in direction dir()). The generator appends.
  StepBuffer& pending() noexcept { return pending_; }
  uint8_t dir() const noexcept { return dir_; }
  void set_dir(uint8_t dir) noexcept { dir_ = dir; }
  // Compresses pending steps into `out`. Unless `all`, the steps of a segment that could still grow with
  // later steps stay pending, so that segments span moves.
  void compress(bool all, std::deque<ipc::StepSegment>& out);
  // Compresses steps [begin, end) of the cruise of `steps` (same direction), after everything pending, in
  // closed form: the exact times are linear in k, so a segment's error is proven from its two ends and its
  // steps are never generated one by one (cruise_compressor.cpp). Where no proof holds the tolerance, the
  // steps join pending() instead.
  void add_cruise(const MoveSteps& steps, int64_t begin, int64_t end, std::deque<ipc::StepSegment>& out);
  // Largest |expansion - exact time| of any step emitted so far, ns (for cruise segments: the proven bound,
  // at most 2 ns above the true largest error).
  int64_t max_error_ns() const noexcept { return max_error_ns_; }
  uint64_t segments() const noexcept { return segments_; }

 private:
  // The longest valid segment starting at pending_[start] with at most `available` steps.
  ipc::StepSegment next_segment(std::size_t start, uint32_t available, int64_t& error_ns);
  // How many steps of `s` (fitted to `t`, of which `known` are pending) to keep so that its last step comes
  // before the next one's exact time.
  static uint32_t end_before_next_step(const ipc::StepSegment& s, const int64_t* t, std::size_t known);
  // Emits one segment (error `error_ns`) and counts it.
  void emit(ipc::StepSegment s, int64_t error_ns, std::deque<ipc::StepSegment>& out);

  uint8_t stepper_;
  uint8_t dir_ = 1;
  int64_t tolerance_ns_;
  StepBuffer pending_;
  uint32_t hint_ = 16;  // length of the previous segment: where the next search starts
  int64_t max_error_ns_ = 0;
  uint64_t segments_ = 0;
};

// Appends segments covering `times` (strictly increasing, ns) for `stepper` in direction `dir` to `out`.
// Every step's expansion is within `tolerance_ns` of its exact time, every segment is ipc::is_valid, and each
// segment's last step comes before the next one's first, whatever the tolerance.
// Returns false only if the times themselves cannot be expressed (two steps closer than
// ipc::kMinStepIntervalNs); nothing is appended for them then.
bool compress(std::span<const int64_t> times, uint8_t stepper, uint8_t dir, int64_t tolerance_ns,
              std::vector<ipc::StepSegment>& out);

// Where the generator delivers its records, in nondecreasing time order.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual Status push(const ipc::Record& record) = 0;
  // Every record with time <= t_ns has been pushed (the generator says so when the toolhead dwells: G4,
  // M400, end of file), so the consumer may run up to t_ns on what it has: a host that then sits idle
  // (a long G4, waiting for input) is not an underrun. Nondecreasing. Optional.
  virtual void set_horizon(int64_t /*t_ns*/) {}
};

// Sees every exact step time before compression (for --steps-csv and tests). Optional.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // `times` of `stepper` in direction `dir`, the count after the last of them being `position_after`.
  virtual void on_steps(std::size_t stepper, std::span<const int64_t> times, uint8_t dir, int64_t position_after) = 0;
};

struct StepperTotals {
  uint64_t steps = 0;     // steps generated
  uint64_t segments = 0;  // segments generated
  int64_t max_error_ns = 0;  // largest compression error of any step
};

class StepGenerator final : public motion::MoveSink {
 public:
  // `origin_ns`: the CLOCK_MONOTONIC time of print time 0. `start`: the toolhead position before the
  // first move, from which every stepper's initial count is taken.
  StepGenerator(const config::MachineConfig& machine, const motion::Kinematics& kinematics, const motion::Coord& start,
                int64_t origin_ns, int64_t tolerance_ns, RecordSink& sink, StepObserver* observer = nullptr);

  // Steps older than this (ns of print time) behind the current move are compressed without waiting for more.
  static constexpr int64_t kHoldNs = 500'000'000;

  Status on_move(const motion::Move& move) override;
  Status on_enable(std::size_t stepper, bool enabled, double time) override;
  // Compresses and delivers everything held back.
  Status on_flush(double time) override;
  // Passes the promise on to the sink as its horizon (RecordSink::set_horizon).
  void on_horizon(double time) override;

  std::size_t stepper_count() const noexcept { return solvers_.size(); }
  int64_t initial_steps(std::size_t i) const noexcept { return initial_[i]; }
  int64_t position_steps(std::size_t i) const noexcept { return solvers_[i].position(); }
  // Homing: stepper i's count is `steps` from now on (the executor stopped it before the end of the move it
  // was sent). Only after on_flush(), so that nothing of the stepper is still held back.
  void set_position_steps(std::size_t i, int64_t steps) noexcept { solvers_[i].set_position(steps); }
  int64_t steps_at(std::size_t i, const motion::Coord& pos) const noexcept { return solvers_[i].steps_at(pos); }
  StepperTotals totals(std::size_t i) const noexcept;
  int64_t to_ns(double print_time) const noexcept;

 private:
  // Cruises at least this long are compressed from their closed form: shorter ones gain little from it and
  // would end the segments of the ramps around them.
  static constexpr int64_t kMinClosedFormSteps = 128;

  // Pushes, in time order, every held segment and pin record that nothing still to come can precede.
  Status release(int64_t watermark_ns);
  // The G-code line of the move running at `t_ns` (nondecreasing across calls), for ipc::Record::line.
  uint32_t line_at(int64_t t_ns);
  static void append_times(const MoveSteps& steps, int64_t begin, int64_t end, StepBuffer& to);
  void observe(std::size_t stepper, const MoveSteps& steps);  // every exact time to the observer

  const config::MachineConfig& machine_;
  std::vector<StepSolver> solvers_;
  std::vector<StepCompressor> compressors_;
  std::vector<std::deque<ipc::StepSegment>> ready_;  // per stepper, compressed, waiting for the merge
  std::deque<ipc::PinCommand> pins_;                 // waiting for the merge
  std::vector<int64_t> initial_;
  std::vector<uint64_t> steps_;
  int64_t origin_ns_;
  RecordSink& sink_;
  StepObserver* observer_;
  StepBuffer observed_;  // the observer's copy of one move's times
  std::deque<std::pair<int64_t, uint32_t>> move_lines_;  // (start ns, G-code line) of moves not yet released
};

}  // namespace rtstep::stepgen
