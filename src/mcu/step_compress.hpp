#pragma once
// StepCompressor: a stepper's exact step times, in MCU clock ticks, as Klipper's `queue_step oid=%c
// interval=%u count=%hu add=%hi` commands.
//
// A command runs `count` steps: the first `interval` ticks after the previous step, and `interval` grows
// by `add` after each step, so step k (1-based) lands at last + k*interval + add*k*(k-1)/2.
// Guarantee, as Klipper's host gives it: each step is never later than its requested tick and at most
// min(max_error, half the distance to the previous requested step) earlier (the first step of each
// command measures from the previous command's last step as the MCU will run it). Every command is expanded and checked step by step
// against that window before it is returned; a command that fails the check is an error, never sent.
//
// Requested ticks are the exact step times converted with floor (PrintClock::clock_at), so "never
// late" holds against the exact time too. Steps must be strictly increasing and less than 3 × 2^28 ticks
// apart, as Klipper's limit (11 s at 72 MHz; after a longer pause the stepper's clock is reset with
// reset_step_clock).
//
// Not thread-safe: one owner per stepper. Non-real-time (it allocates the queue).

#include <cstdint>
#include <span>
#include <vector>

#include "util/result.hpp"

namespace rtstep::mcu {

class Dictionary;

struct StepMove {
  uint32_t interval = 0;  // ticks from the previous step to the first
  uint16_t count = 0;     // steps
  int16_t add = 0;        // ticks added to the interval after each step
};

// One queue_step command and the clock it follows (the previous step): the link must send it before the
// MCU reaches that clock (Klipper's req_clock).
struct StepCommand {
  StepMove move;
  uint64_t after_clock = 0;  // the step before this command's first
  uint64_t end_clock = 0;    // this command's last step
};

// Appends the ticks of `move`'s steps after `last_clock` to `out`.
void expand_steps(uint64_t last_clock, const StepMove& move, std::vector<uint64_t>& out);

// Encodes `move` as queue_step for stepper `oid` with the dictionary's format.
Status encode_queue_step(const Dictionary& dictionary, uint8_t oid, const StepMove& move, std::vector<uint8_t>& out);

class StepCompressor {
 public:
  // `max_error_ticks`: the most a step may be early (Klipper: 25 µs × CLOCK_FREQ).
  explicit StepCompressor(uint32_t max_error_ticks) : max_error_(max_error_ticks) {}

  // The clock of the last step already executed or sent (reset_step_clock). Queued steps must be empty.
  void reset(uint64_t last_step_clock) noexcept { last_clock_ = last_step_clock; }
  // Queues a step at `tick`; errors if it is not after the previous one or 3 × 2^28 ticks or more after it.
  Status push(uint64_t tick);
  // Compresses every queued step into commands appended to `out`, each verified; the queue empties.
  Status flush(std::vector<StepCommand>& out);

  uint64_t last_step_clock() const noexcept { return last_clock_; }
  uint32_t max_error() const noexcept { return max_error_; }
  std::size_t queued() const noexcept { return queue_.size(); }

 private:
  struct Window {
    int64_t min, max;  // ticks after last_clock_
  };
  Window window(std::size_t i) const noexcept;
  StepMove best_move() const;
  Status verify(const StepMove& move) const;

  uint32_t max_error_;
  uint64_t last_clock_ = 0;
  std::vector<uint64_t> queue_;  // requested ticks; queue_[pos_..] are not yet compressed
  std::size_t pos_ = 0;
};

}  // namespace rtstep::mcu
