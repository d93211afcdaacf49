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
//
// Reversals. The executor needs time between two steps of a stepper (StepSpacing): a pulse's low time in one
// direction, the pulse, dir hold and dir setup times where the direction changes. Exact times can be closer
// where a stepper turns back: q crosses a half-step boundary, turns (at a corexy corner, or a tiny
// back-and-forth move) and crosses it again, possibly within the same nanosecond. The compressor hands on only
// streams the executor plays on time: a step closer to the one before than the spacing is delayed until the
// gap holds (never advanced, never dropped), and segments keep the gap across their joins.
// The cost, bounded and measured (tests/stepgen/reversals_test.cpp, StepperTotals): no step is played earlier
// than its exact time (less max_step_error); a delayed step is late by at most one reversal gap (pulse + dir
// hold + dir setup: 2.4 us by default) plus max_step_error, and by one gap more for each further reversal of
// its stepper during that delay (only moves of a few microseconds make one). While a step waits, its stepper is
// one step from its exact count (never more while delays stay under min_interval_ns); the steps after it are
// back at their own times. Optionally ([rt] step_dir_step_filter, off by default) a step followed by a step back
// within kStepDirStepFilterNs is removed with it, as Klipper's host does: close reversals then go with their
// pairs instead of being delayed, and the count is one step off for under 750 us.

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
  int64_t* mutable_data() noexcept { return data_.get() + begin_; }
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

// What the executor needs between two consecutive steps of one stepper to put each out at its time (its rules:
// executor/executor.hpp and step_loop.hpp). A rising edge is followed by its falling edge pulse_ns later; the
// next rising edge then waits
//  - in the same direction, for a low time as long as the pulse (2 * pulse_ns from rise to rise); inside one
//    segment the interval must also be at least ipc::kMinStepIntervalNs, or the executor refuses the segment;
//  - after a direction change, for dir_hold_ns after the falling edge before the dir pin changes, then
//    dir_setup_ns before the rising edge (pulse_ns + dir_hold_ns + dir_setup_ns from rise to rise).
// A shorter gap is played late by the difference; two steps at the same nanosecond, or a segment that starts
// before the previous one of its stepper ended, make the executor stop the job (bad record).
struct StepSpacing {
  int64_t min_interval_ns = ipc::kMinStepIntervalNs;  // rise to rise, same direction
  int64_t min_reversal_ns = 2'400;                    // rise to rise across a direction change
};
// The executor's dir hold time (executor::ExecutorConfig::dir_hold_ns, which no printer.cfg key changes).
inline constexpr int64_t kDirHoldNs = 200;
// The spacing stepper `i` of `machine` needs: its step_pulse_duration, [rt] dir_setup_time and kDirHoldNs, from
// which `rtstep run` configures the executor (machine/executor_side.cpp).
StepSpacing step_spacing(const config::MachineConfig& machine, std::size_t i) noexcept;
// Klipper's step+dir+step filter ([rt] step_dir_step_filter): a step followed by a step back within this time
// is removed together with it.
inline constexpr int64_t kStepDirStepFilterNs = 750'000;

// Streaming compressor of one stepper's steps in one direction at a time.
class StepCompressor {
 public:
  // Longest segment the compressor builds; also bounds the steps it holds back between moves.
  static constexpr uint32_t kMaxRun = 1U << 16;
  // Without `all`, compress() leaves up to this many steps pending so that the next move can extend them.
  static constexpr uint32_t kHoldSteps = 1U << 13;

  StepCompressor(uint8_t stepper, int64_t tolerance_ns, StepSpacing spacing = {}) noexcept
      : stepper_(stepper), tolerance_ns_(tolerance_ns), spacing_(spacing) {}

  // Steps waiting to be compressed (increasing ns, all in direction dir()). add_steps() and add_step() append
  // to it; whoever appends directly keeps the steps spaced (at least min_interval_ns apart) themselves.
  StepBuffer& pending() noexcept { return pending_; }
  uint8_t dir() const noexcept { return dir_; }
  void set_dir(uint8_t dir) noexcept { dir_ = dir; }
  const StepSpacing& spacing() const noexcept { return spacing_; }
  // Appends steps [begin, end) of `steps` (or the one step at `time_ns` in direction `dir`) after everything
  // pending; a change of direction first compresses what is pending into `out`. A step closer than the spacing
  // to the step before it (the last one emitted, when nothing is pending) is delayed until the gap holds.
  void add_steps(const MoveSteps& steps, int64_t begin, int64_t end, std::deque<ipc::StepSegment>& out);
  void add_step(uint8_t dir, int64_t time_ns, std::deque<ipc::StepSegment>& out);
  // Forgets the last step emitted, so the next step needs no gap from it (homing: the executor stopped the
  // stepper before the end of what it was sent, and the next move starts after the trip). Nothing pending.
  void forget_last_step() noexcept { last_ns_ = kNoStep; }
  // Compresses pending steps into `out`. Unless `all`, the steps of a segment that could still grow with
  // later steps stay pending, so that segments span moves.
  void compress(bool all, std::deque<ipc::StepSegment>& out);
  // Compresses steps [begin, end) of the cruise of `steps`, after everything pending (compressed first), in
  // closed form: the exact times are linear in k, so a segment's error is proven from its two ends and its
  // steps are never generated one by one (cruise_compressor.cpp). Where no proof holds the tolerance, or the
  // first segment would come too close to the last step emitted, the steps go through add_steps() instead.
  void add_cruise(const MoveSteps& steps, int64_t begin, int64_t end, std::deque<ipc::StepSegment>& out);
  // Largest |expansion - exact time| of any step emitted so far, ns (for cruise segments: the proven bound,
  // at most 2 ns above the true largest error).
  int64_t max_error_ns() const noexcept { return max_error_ns_; }
  uint64_t segments() const noexcept { return segments_; }
  // Steps delayed to keep the spacing, and the longest delay (ns, before compression).
  uint64_t delayed_steps() const noexcept { return delayed_steps_; }
  int64_t max_delay_ns() const noexcept { return max_delay_ns_; }

 private:
  static constexpr int64_t kNoStep = INT64_MIN / 4;  // last_ns_ before any step: no gap to keep

  // Compresses what is pending when `dir` differs from its direction, then takes `dir`.
  void start_run(uint8_t dir, std::deque<ipc::StepSegment>& out);
  // Delays pending steps [from, size) where they come closer than the spacing to the step before them.
  void space_from(std::size_t from) noexcept;
  // The gap the first pending step needs from the last step emitted.
  int64_t gap_after_last() const noexcept {
    return dir_ != last_dir_ ? spacing_.min_reversal_ns : spacing_.min_interval_ns;
  }
  // True when the executor plays `s` as it is: ipc::is_valid, and intervals of at least min_interval_ns.
  bool playable(const ipc::StepSegment& s) const noexcept;
  // The longest valid segment starting at pending_[start] with at most `available` steps.
  ipc::StepSegment next_segment(std::size_t start, uint32_t available, int64_t& error_ns);
  // How many steps of `s` (fitted to `t`, of which `known` are pending) to keep so that its last step comes
  // at least min_interval_ns before the next one's time, and not after its own when it is the last pending.
  uint32_t end_before_next_step(const ipc::StepSegment& s, const int64_t* t, std::size_t known) const;
  // Emits one segment (error `error_ns`) and counts it.
  void emit(ipc::StepSegment s, int64_t error_ns, std::deque<ipc::StepSegment>& out);

  uint8_t stepper_;
  uint8_t dir_ = 1;
  int64_t tolerance_ns_;
  StepSpacing spacing_;
  StepBuffer pending_;
  uint32_t hint_ = 16;  // length of the previous segment: where the next search starts
  int64_t max_error_ns_ = 0;
  uint64_t segments_ = 0;
  int64_t last_ns_ = kNoStep;  // the last step emitted, as the executor will play it
  uint8_t last_dir_ = 1;
  uint64_t delayed_steps_ = 0;
  int64_t max_delay_ns_ = 0;
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
  uint64_t steps = 0;     // steps sent (generated, less the pairs the step+dir+step filter removed)
  uint64_t segments = 0;  // segments generated
  int64_t max_error_ns = 0;  // largest compression error of any step (against its time after any delay)
  uint64_t delayed_steps = 0;  // steps delayed to keep the executor's spacing
  int64_t max_delay_ns = 0;    // the longest such delay
  uint64_t removed_pairs = 0;  // step+dir+step pairs removed ([rt] step_dir_step_filter; 2 steps each)
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
  // was sent, so its last step there is not a step the next move must keep a gap from). Only after
  // on_flush(), so that nothing of the stepper is still held back.
  void set_position_steps(std::size_t i, int64_t steps) noexcept {
    solvers_[i].set_position(steps);
    compressors_[i].forget_last_step();
  }
  int64_t steps_at(std::size_t i, const motion::Coord& pos) const noexcept { return solvers_[i].steps_at(pos); }
  StepperTotals totals(std::size_t i) const noexcept;
  int64_t to_ns(double print_time) const noexcept;

 private:
  // Cruises at least this long are compressed from their closed form: shorter ones gain little from it and
  // would end the segments of the ramps around them.
  static constexpr int64_t kMinClosedFormSteps = 128;

  // A step held back by the step+dir+step filter until the next step of its stepper (or enough time) shows
  // whether it is half of a reversal pair.
  struct HeldStep {
    bool held = false;
    uint8_t dir = 1;
    int64_t time_ns = 0;
  };

  // The step+dir+step filter on one move's steps [begin, end) of stepper i: the held step and the move's
  // first step are removed when they form a reversal pair, otherwise the held step goes on; the move's last
  // step is held instead. Narrows [begin, end) to the steps that go on now.
  void filter_pair(std::size_t i, const MoveSteps& steps, int64_t& begin, int64_t& end);
  // Sends stepper i's held step on when no step still to come (none before `now_ns`) can pair with it.
  void release_held(std::size_t i, int64_t now_ns);
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
  bool filter_ = false;                 // [rt] step_dir_step_filter
  std::vector<HeldStep> held_;          // per stepper, with the filter on
  std::vector<uint64_t> removed_pairs_; // per stepper
  int64_t tolerance_ns_;
  int64_t origin_ns_;
  RecordSink& sink_;
  StepObserver* observer_;
  StepBuffer observed_;  // the observer's copy of one move's times
  std::deque<std::pair<int64_t, uint32_t>> move_lines_;  // (start ns, G-code line) of moves not yet released
};

}  // namespace rtstep::stepgen
