// SimBackend: the backend without hardware (see gpio.hpp). It is what tests, --virtual-clock runs and
// machines without GPIO use, so it counts exactly what real pins would have shown: levels, rising edges
// per pin, and the position each tracked step/dir pair adds up to.
//
// The executor is the only writer, so write() uses plain relaxed load/store pairs instead of
// read-modify-write atomics; readers on other threads see each counter tear-free.

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>
#include <unordered_set>

#include "gpio/gpio.hpp"

namespace rtstep::gpio {

Status SimBackend::configure(std::span<const PinSpec> pins) {
  if (pins.size() > kMaxPins) {
    return Error{"sim backend: " + std::to_string(pins.size()) + " pins configured, at most " +
                 std::to_string(kMaxPins)};
  }
  std::unordered_set<std::string> seen;
  for (const PinSpec& pin : pins) {
    if (!seen.insert(pin.name).second) return Error{"pin " + pin.name + " used twice"};
  }
  pins_.assign(pins.begin(), pins.end());
  // Every pin starts at logical 0, and the counters describe this configuration only.
  levels_.store(0, std::memory_order_relaxed);
  for (auto& count : rising_) count.store(0, std::memory_order_relaxed);
  for (std::size_t i = 0; i < tracked_count_; ++i) tracked_[i].position.store(0, std::memory_order_relaxed);
  writes_.store(0, std::memory_order_relaxed);
  return Ok{};
}

Status SimBackend::configure_inputs(std::span<const InputSpec> inputs) {
  if (inputs.size() > kMaxInputs) {
    return Error{"sim backend: " + std::to_string(inputs.size()) + " inputs configured, at most " +
                 std::to_string(kMaxInputs)};
  }
  std::unordered_set<std::string> seen;
  for (const PinSpec& pin : pins_) seen.insert(pin.name);
  for (const InputSpec& input : inputs) {
    if (!seen.insert(input.name).second) return Error{"pin " + input.name + " used twice"};
  }
  inputs_.assign(inputs.begin(), inputs.end());
  forced_.store(0, std::memory_order_relaxed);
  rules_ = {};
  rule_count_ = 0;
  return Ok{};
}

void SimBackend::set_input(std::size_t input, bool triggered) noexcept {
  if (input >= kMaxInputs) return;
  const InputMask bit = InputMask{1} << input;
  if (triggered) {
    forced_.fetch_or(bit, std::memory_order_relaxed);
  } else {
    forced_.fetch_and(~bit, std::memory_order_relaxed);
  }
}

void SimBackend::set_input_rule(std::size_t input, std::span<const double> weights, double threshold, bool rising) {
  if (input >= kMaxInputs || rule_count_ == kMaxInputRules) return;
  InputRule& rule = rules_[rule_count_++];
  rule = InputRule{};
  rule.input = input;
  rule.rising = rising;
  rule.threshold = threshold;
  std::copy_n(weights.begin(), std::min(weights.size(), kMaxPins), rule.weights.begin());
}

InputMask SimBackend::read_inputs() noexcept {
  InputMask out = forced_.load(std::memory_order_relaxed);
  for (std::size_t r = 0; r < rule_count_; ++r) {
    const InputRule& rule = rules_[r];
    double sum = 0;
    for (std::size_t j = 0; j < tracked_count_; ++j) {
      sum += rule.weights[j] * static_cast<double>(tracked_[j].position.load(std::memory_order_relaxed));
    }
    // A tolerance far below one step: the threshold is itself a sum of the same weights.
    constexpr double kEps = 1e-9;
    const bool hit = rule.rising ? sum >= rule.threshold - kEps : sum <= rule.threshold + kEps;
    if (hit) out |= InputMask{1} << rule.input;
  }
  return out;
}

void SimBackend::track_stepper(std::size_t step_pin, std::size_t dir_pin) {
  if (step_pin >= kMaxPins || dir_pin >= kMaxPins || tracked_count_ >= kMaxPins) return;
  Tracked& t = tracked_[tracked_count_++];
  t.step_pin = step_pin;
  t.dir_pin = dir_pin;
  t.position.store(0, std::memory_order_relaxed);
}

void SimBackend::enable_recording(std::size_t capacity) {
  std::size_t size = 2;
  while (size < capacity) size *= 2;
  edges_.assign(size, EdgeRecord{});
  edge_mask_ = size - 1;
  head_.store(0, std::memory_order_relaxed);
  tail_.store(0, std::memory_order_relaxed);
  lost_.store(0, std::memory_order_relaxed);
}

std::size_t SimBackend::drain_edges(std::span<EdgeRecord> out) noexcept {
  if (edges_.empty()) return 0;
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  const uint64_t head = head_.load(std::memory_order_acquire);
  const auto n = static_cast<std::size_t>(std::min<uint64_t>(head - tail, out.size()));
  for (std::size_t i = 0; i < n; ++i) out[i] = edges_[(tail + i) & edge_mask_];
  tail_.store(tail + n, std::memory_order_release);
  return n;
}

void SimBackend::record(const EdgeRecord& r) noexcept {
  const uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - tail_.load(std::memory_order_acquire) > edge_mask_) {
    lost_.store(lost_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return;
  }
  edges_[head & edge_mask_] = r;
  head_.store(head + 1, std::memory_order_release);
}

void SimBackend::write(PinMask high, PinMask low, int64_t scheduled_ns, int64_t issued_ns) noexcept {
  assert((high & low) == 0 && "a pin cannot go high and low in one write");
  const PinMask before = levels_.load(std::memory_order_relaxed);
  const PinMask after = (before | high) & ~low;
  levels_.store(after, std::memory_order_relaxed);

  PinMask rose = after & ~before;
  const PinMask rose_all = rose;
  while (rose != 0) {
    const int pin = std::countr_zero(rose);
    rose &= rose - 1;
    auto& count = rising_[static_cast<std::size_t>(pin)];
    count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  // Direction is taken after this write: a dir change in the same write as a step counts with the new
  // dir (the executor never does that; it writes dir at least dir_setup_ns earlier).
  for (std::size_t i = 0; i < tracked_count_; ++i) {
    Tracked& t = tracked_[i];
    if ((rose_all >> t.step_pin & 1U) == 0) continue;
    const int64_t delta = (after >> t.dir_pin & 1U) != 0 ? 1 : -1;
    t.position.store(t.position.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  writes_.store(writes_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (!edges_.empty() && after != before) record({issued_ns, scheduled_ns, after ^ before, after});
}

bool SimBackend::level(std::size_t pin) const noexcept {
  return pin < kMaxPins && (levels_.load(std::memory_order_relaxed) >> pin & 1U) != 0;
}

uint64_t SimBackend::rising_edges(std::size_t pin) const noexcept {
  return pin < kMaxPins ? rising_[pin].load(std::memory_order_relaxed) : 0;
}

int64_t SimBackend::position(std::size_t tracked_index) const noexcept {
  return tracked_index < tracked_count_ ? tracked_[tracked_index].position.load(std::memory_order_relaxed) : 0;
}

}  // namespace rtstep::gpio
