#pragma once
// From rtstep's StepSegments to the timed commands an MCU's move queue holds, and the order they may leave.
//
// StepperChannel: one stepper on one MCU. Each segment's exact step times (StepSegment::step_time, host
// CLOCK_MONOTONIC ns) are mapped to MCU ticks through the PrintClock (rounded down, so never late) and
// queued in a StepCompressor; flush() turns what is queued into queue_step commands, each checked step by
// step against Klipper's bound before it exists. A direction change flushes first and puts
// set_next_step_dir before the next queue_step; the first step after configuration, or after a pause too
// long for one interval, puts reset_step_clock before it.
//
// MoveQueue: the MCU runs queue_step and queue_digital_out from a queue of `move_count` slots (the
// firmware's config answer). A command may leave only when the MCU has a slot for it: each command that
// left holds its slot until the MCU clock passes the command's last clock (plus a margin for the clock
// estimate), which is later than the firmware frees it. Each digital output keeps one slot of its own and
// has at most one update waiting on the MCU, as Klipper's host does, so heaters never wait behind steps.
// Step commands leave in the order of the clock they follow.
//
// Not thread-safe: the link's thread owns them. Non-real-time (they allocate).

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <vector>

#include "ipc/step_segment.hpp"
#include "mcu/clock_sync.hpp"
#include "mcu/dictionary.hpp"
#include "mcu/objects.hpp"
#include "mcu/step_compress.hpp"

namespace rtstep::mcu {

// One command for the MCU's move queue with the messages that must precede it, ready to send.
struct MoveCommand {
  std::vector<std::vector<uint8_t>> messages;  // encoded, sent in order with the same req_clock
  uint64_t req_clock = 0;  // the MCU must have it before this clock (the step before its first)
  uint64_t end_clock = 0;  // its slot is free once the MCU clock passes this
  uint32_t steps = 0;      // steps it carries (0 for an output update)
  int stepper = -1;        // the stepper (oid) it moves, or -1
  std::size_t queue_step_bytes = 0;  // bytes of its queue_step message
};

class StepperChannel {
 public:
  // `max_error_ticks`: how early a step may be (Klipper: 25 µs of ticks).
  StepperChannel(const Dictionary& dictionary, uint8_t oid, const StepperSpec& spec, uint32_t max_error_ticks);

  // Queues the steps of `segment` (its stepper field is the caller's business). A direction change first
  // flushes into `out`. Errors: steps out of order, or a command that fails the bound (never sent).
  Status push(const ipc::StepSegment& segment, const PrintClock& clock, std::vector<MoveCommand>& out);
  // Compresses every queued step into `out`.
  Status flush(std::vector<MoveCommand>& out);
  // After a reconnect: nothing queued, and the next step resets the MCU's step clock.
  void reset();

  std::size_t queued() const noexcept { return compressor_.queued(); }
  int64_t first_queued_ns() const noexcept { return first_queued_ns_; }  // host ns of the oldest queued step
  int64_t last_step_ns() const noexcept { return last_step_ns_; }

 private:
  Status push_tick(uint64_t tick, uint64_t interval_ticks, std::vector<MoveCommand>& out);
  std::vector<uint8_t> encode(const std::string& text) const;

  const Dictionary* dictionary_;
  uint8_t oid_;
  StepperSpec spec_;
  StepCompressor compressor_;
  int queued_dir_ = -1;  // direction of the steps in the compressor
  int mcu_dir_ = -1;     // the direction the MCU will step in next (-1: not told yet)
  bool started_ = false;  // the MCU's step clock has been reset since configuration
  std::vector<std::vector<uint8_t>> prefix_;  // messages for the next command (reset_step_clock)
  int64_t first_queued_ns_ = 0, last_step_ns_ = 0;
  uint64_t last_tick_ = 0;
};

class MoveQueue {
 public:
  static constexpr int64_t kMarginNs = 5'000'000;  // beyond the estimate before a slot counts as free

  // `move_count` from the MCU's config answer; `outputs` digital outputs each keep one slot of it.
  void configure(uint32_t move_count, std::size_t outputs, double ticks_per_ns);
  void add_steps(MoveCommand command);
  void add_output(std::size_t output, MoveCommand command);
  // Drops the step commands of stepper `oid` not sent yet (a homing stopped it); returns their steps.
  uint64_t drop_steps(int oid);
  // Hands every command that may leave at MCU clock `mcu_now` to `send`, in order.
  template <typename Send>
  void release(uint64_t mcu_now, Send&& send);
  void clear();

  std::size_t waiting() const noexcept;
  std::size_t outputs_waiting() const noexcept;  // output updates not sent yet
  std::size_t step_slots() const noexcept { return step_slots_; }

 private:
  std::size_t step_slots_ = 0;
  uint64_t margin_ticks_ = 0;
  std::multimap<uint64_t, MoveCommand> steps_;  // by req_clock; equal clocks in arrival order
  std::multiset<uint64_t> step_ends_;           // end clocks of step commands sent
  std::vector<std::deque<MoveCommand>> outputs_;
  std::vector<uint64_t> output_end_;            // end clock of each output's update sent (0: none)
};

template <typename Send>
void MoveQueue::release(uint64_t mcu_now, Send&& send) {
  while (!step_ends_.empty() && *step_ends_.begin() + margin_ticks_ < mcu_now) step_ends_.erase(step_ends_.begin());
  while (!steps_.empty() && step_ends_.size() < step_slots_) {
    auto it = steps_.begin();
    step_ends_.insert(it->second.end_clock);
    send(it->second);
    steps_.erase(it);
  }
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    if (outputs_[i].empty() || (output_end_[i] != 0 && output_end_[i] + margin_ticks_ >= mcu_now)) continue;
    output_end_[i] = outputs_[i].front().end_clock;
    send(outputs_[i].front());
    outputs_[i].pop_front();
  }
}

}  // namespace rtstep::mcu
