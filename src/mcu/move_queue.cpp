// StepperChannel and MoveQueue (move_queue.hpp).

#include "mcu/move_queue.hpp"

#include <algorithm>
#include <cmath>

namespace rtstep::mcu {

namespace {

constexpr uint64_t kMaxStepGap = uint64_t{3} << 28;  // as StepCompressor: longer pauses reset the step clock

}  // namespace

StepperChannel::StepperChannel(const Dictionary& dictionary, uint8_t oid, const StepperSpec& spec, uint32_t max_error_ticks)
    : dictionary_(&dictionary), oid_(oid), spec_(spec), compressor_(max_error_ticks) {}

std::vector<uint8_t> StepperChannel::encode(const std::string& text) const {
  std::vector<uint8_t> out;
  (void)dictionary_->encode_text(text, out);  // formats checked by require_rtstep_core
  return out;
}

void StepperChannel::reset() {
  compressor_ = StepCompressor(compressor_.max_error());
  queued_dir_ = mcu_dir_ = -1;
  started_ = false;
  prefix_.clear();
  last_tick_ = 0;
}

Status StepperChannel::push(const ipc::StepSegment& segment, const PrintClock& clock, std::vector<MoveCommand>& out) {
  if (segment.count == 0) return Ok{};
  if (queued_dir_ != -1 && queued_dir_ != segment.dir) {
    if (Status s = flush(out); !s) return s;
  }
  queued_dir_ = segment.dir;
  const auto interval_ticks = static_cast<uint64_t>(
      std::max<int64_t>(1, static_cast<int64_t>(clock.clock_at(segment.first_time_ns + segment.interval_ns)) -
                               static_cast<int64_t>(clock.clock_at(segment.first_time_ns))));
  for (uint32_t k = 0; k < segment.count; ++k) {
    const int64_t t = segment.step_time(k);
    if (compressor_.queued() == 0) first_queued_ns_ = t;
    if (Status s = push_tick(clock.clock_at(t), interval_ticks, out); !s) {
      return Error{spec_.name + ": " + s.error().message};
    }
    last_step_ns_ = t;
  }
  return Ok{};
}

// Queues one step; the first after configuration or a long pause resets the MCU's step clock to one
// segment interval before it, so that the step continues the sequence it starts.
Status StepperChannel::push_tick(uint64_t tick, uint64_t interval_ticks, std::vector<MoveCommand>& out) {
  if (started_ && tick <= last_tick_) {
    return Error{"step at MCU clock " + std::to_string(tick) + " is not after the previous one (" + std::to_string(last_tick_) + ")"};
  }
  if (!started_ || tick - last_tick_ >= kMaxStepGap) {
    if (Status s = flush(out); !s) return s;
    const uint64_t lead = std::min<uint64_t>(interval_ticks, kMaxStepGap / 2);
    const uint64_t reset_clock = tick > lead ? tick - lead : 0;
    compressor_.reset(reset_clock);
    prefix_.push_back(encode("reset_step_clock oid=" + std::to_string(oid_) + " clock=" + std::to_string(reset_clock & 0xFFFFFFFF)));
    started_ = true;
  }
  last_tick_ = tick;
  return compressor_.push(tick);
}

Status StepperChannel::flush(std::vector<MoveCommand>& out) {
  if (compressor_.queued() == 0) return Ok{};
  std::vector<StepCommand> commands;
  if (Status s = compressor_.flush(commands); !s) return Error{spec_.name + ": " + s.error().message};
  for (const StepCommand& c : commands) {
    MoveCommand m;
    m.messages = std::move(prefix_);
    prefix_.clear();
    if (mcu_dir_ != queued_dir_) {
      const int pin_dir = queued_dir_ ^ (spec_.invert_dir ? 1 : 0);
      m.messages.push_back(encode("set_next_step_dir oid=" + std::to_string(oid_) + " dir=" + std::to_string(pin_dir)));
      mcu_dir_ = queued_dir_;
    }
    std::vector<uint8_t> step;
    (void)encode_queue_step(*dictionary_, oid_, c.move, step);
    m.queue_step_bytes = step.size();
    m.messages.push_back(std::move(step));
    m.req_clock = c.after_clock;
    m.end_clock = c.end_clock;
    m.steps = c.move.count;
    m.stepper = oid_;
    out.push_back(std::move(m));
  }
  return Ok{};
}

void MoveQueue::configure(uint32_t move_count, std::size_t outputs, double ticks_per_ns) {
  clear();
  step_slots_ = move_count > outputs ? move_count - outputs : 0;
  outputs_.assign(outputs, {});
  output_end_.assign(outputs, 0);
  margin_ticks_ = static_cast<uint64_t>(static_cast<double>(kMarginNs) * ticks_per_ns);
}

void MoveQueue::add_steps(MoveCommand command) {
  const uint64_t key = command.req_clock;
  steps_.emplace(key, std::move(command));
}

void MoveQueue::add_output(std::size_t output, MoveCommand command) { outputs_.at(output).push_back(std::move(command)); }

uint64_t MoveQueue::drop_steps(int oid) {
  uint64_t steps = 0;
  for (auto it = steps_.begin(); it != steps_.end();) {
    if (it->second.stepper == oid) {
      steps += it->second.steps;
      it = steps_.erase(it);
    } else {
      ++it;
    }
  }
  return steps;
}

void MoveQueue::clear() {
  steps_.clear();
  step_ends_.clear();
  for (auto& q : outputs_) q.clear();
  std::fill(output_end_.begin(), output_end_.end(), 0);
}

std::size_t MoveQueue::outputs_waiting() const noexcept {
  std::size_t n = 0;
  for (const auto& q : outputs_) n += q.size();
  return n;
}

std::size_t MoveQueue::waiting() const noexcept {
  std::size_t n = steps_.size();
  for (const auto& q : outputs_) n += q.size();
  return n;
}

}  // namespace rtstep::mcu
