#pragma once
// gpio: the output backends the executor writes step, dir and enable levels through (DESIGN.md §1).
//
// A backend is configured once with the list of pins it drives (init only); after that a pin is a
// small index and a group of level changes is one write of two masks. Inversion ('!' in printer.cfg) is
// applied here, so callers always speak logical levels (1 = step high, dir positive, enable active).
//
// Inputs (endstops) are declared separately with configure_inputs() and read all at once with
// read_inputs(), also in logical levels (1 = triggered; '!' inverts, '^' asks for the pull-up).
//
// Real-time: Backend::write and Backend::read_inputs are real-time safe for every backend (the sim backend
// only does atomic counter updates; hardware backends do one store / load or one ioctl).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace rtstep::gpio {

using PinMask = uint64_t;  // bit i = pin index i
inline constexpr std::size_t kMaxPins = 64;

struct PinSpec {
  std::string name;       // label as configured ("gpio17", "PB9", ...)
  bool inverted = false;  // the physical level is the inverse of the logical one
};

using InputMask = uint32_t;  // bit i = input index i
inline constexpr std::size_t kMaxInputs = 32;

enum class Pull : uint8_t { kNone, kUp, kDown };
struct InputSpec {
  std::string name;       // label as configured ("gpio22", "PA5", ...)
  bool inverted = false;  // '!': the input is triggered when the physical level is low
  Pull pull = Pull::kNone;  // '^' pull-up, '~' pull-down
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Declares the pins, in index order, and drives every pin to logical 0. Init only.
  virtual Status configure(std::span<const PinSpec> pins) = 0;
  // Sets the pins in `high` to logical 1 and those in `low` to logical 0 in one write where the hardware
  // allows; a pin in neither keeps its level. `high & low` must be 0. `scheduled_ns` is when the edges
  // were due and `issued_ns` the clock read just before this call (both CLOCK_MONOTONIC ns; on the
  // virtual clock, virtual times); hardware backends ignore them, the sim backend records them.
  // All pins of one backend are one bank: one write changes them together. Real-time safe.
  virtual void write(PinMask high, PinMask low, int64_t scheduled_ns, int64_t issued_ns) noexcept = 0;
  virtual std::string_view name() const noexcept = 0;
  // Declares the input pins, in index order (at most kMaxInputs), with their pull resistors. Errors name the
  // pin. Init only; call after configure() (a pin may not be both an output and an input).
  virtual Status configure_inputs(std::span<const InputSpec> inputs) = 0;
  // The logical level of every input (bit i = input i triggered). An input the backend could not read
  // reads triggered (fail safe: a homing axis stops) and counts in io_errors(). Real-time safe: one load
  // or one ioctl.
  virtual InputMask read_inputs() noexcept = 0;
  // Writes and reads that failed since configure (a refused ioctl); callers compare it before and after a
  // call to tell. Backends that cannot fail (registers, the sim) keep 0. Real-time safe: one atomic load.
  virtual uint64_t io_errors() const noexcept { return 0; }
};

// One write as the sim backend records it: which pins changed and every pin's logical level after it.
struct EdgeRecord {
  int64_t issued_ns = 0;     // clock read just before the write (virtual clock: the virtual time)
  int64_t scheduled_ns = 0;  // when the edges of this write were due
  PinMask changed = 0;       // pins whose level changed
  PinMask levels = 0;        // logical levels of all pins after the write
};
static_assert(sizeof(EdgeRecord) == 32);

// The sim backend: no hardware. It keeps every pin's level, counts rising edges per pin and, for the
// step/dir pairs it is told about, the position each pair's step pulses add up to (rising edge of step:
// +1 when dir is high, -1 when low). Counters are atomics so other threads may read them while the
// executor writes.
class SimBackend final : public Backend {
 public:
  std::string_view name() const noexcept override { return "sim"; }

  // Declares the pins (at most kMaxPins, names unique: "pin PB9 used twice"), drives them all to logical 0
  // and zeroes every counter and tracked position. Init only.
  Status configure(std::span<const PinSpec> pins) override;
  // Real-time safe (relaxed atomics only; with recording, one store into a preallocated buffer).
  // Precondition: the caller is the only writer.
  void write(PinMask high, PinMask low, int64_t scheduled_ns, int64_t issued_ns) noexcept override;
  // Declares the inputs (names unique, none also an output). Each starts untriggered with no rule. Init only.
  Status configure_inputs(std::span<const InputSpec> inputs) override;
  // Real-time safe: the forced levels, plus every input whose position rule holds.
  InputMask read_inputs() noexcept override;

  // Scriptable inputs. set_input forces an input's logical level (any thread). set_input_rule adds a rule
  // that makes input `input` read triggered when sum_j weights[j] * position(j) (tracked steppers, in
  // track_stepper order) is >= threshold (`rising`) or <= threshold (otherwise): a virtual endstop switch
  // at a carriage position. An input with several rules reads triggered when any holds (switches of two
  // axes wired to one pin). Weights beyond the tracked steppers are ignored; at most kMaxInputRules rules,
  // more are ignored. Init only.
  void set_input(std::size_t input, bool triggered) noexcept;
  void set_input_rule(std::size_t input, std::span<const double> weights, double threshold, bool rising);
  const std::vector<InputSpec>& inputs() const noexcept { return inputs_; }

  // Turns on edge recording into a lock-free buffer of `capacity` writes (rounded up to a power of two)
  // that one other thread drains with drain_edges(). When the buffer is full the write still happens and
  // the record is counted in lost_edges(): the executor never waits for the drain. Init only (allocates).
  void enable_recording(std::size_t capacity);
  // Drain thread only: moves up to out.size() records out, oldest first; returns how many. Non-real-time.
  std::size_t drain_edges(std::span<EdgeRecord> out) noexcept;
  uint64_t lost_edges() const noexcept { return lost_.load(std::memory_order_relaxed); }
  const std::vector<PinSpec>& pins() const noexcept { return pins_; }

  // Tracks the position of a stepper whose step and dir pins are these indices (< kMaxPins; at most
  // kMaxPins pairs; calls outside that are ignored). May be called before or
  // after configure(). Init only.
  void track_stepper(std::size_t step_pin, std::size_t dir_pin);

  // Readers, any thread.
  bool level(std::size_t pin) const noexcept;
  uint64_t rising_edges(std::size_t pin) const noexcept;
  int64_t position(std::size_t tracked_index) const noexcept;  // in order of track_stepper calls
  uint64_t writes() const noexcept { return writes_.load(std::memory_order_relaxed); }

 private:
  void record(const EdgeRecord& r) noexcept;  // real-time safe: one slot store or a lost count
  struct Tracked { std::size_t step_pin = 0; std::size_t dir_pin = 0; std::atomic<int64_t> position{0}; };
  static constexpr std::size_t kMaxInputRules = 2 * kMaxInputs;
  struct InputRule {
    std::size_t input = 0;
    bool rising = true;
    double threshold = 0;
    std::array<double, kMaxPins> weights{};
  };
  std::vector<PinSpec> pins_;
  std::vector<InputSpec> inputs_;
  std::atomic<InputMask> forced_{0};
  std::array<InputRule, kMaxInputRules> rules_{};
  std::size_t rule_count_ = 0;
  std::atomic<PinMask> levels_{0};  // logical levels; written by the executor only
  std::array<std::atomic<uint64_t>, kMaxPins> rising_{};  // rising edges per pin; executor writes
  std::array<Tracked, kMaxPins> tracked_{};
  std::size_t tracked_count_ = 0;
  std::atomic<uint64_t> writes_{0};
  // Edge recording: SPSC ring, the executor writes `head_`, the drain thread writes `tail_`.
  std::vector<EdgeRecord> edges_;  // empty: recording off
  std::size_t edge_mask_ = 0;
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) std::atomic<uint64_t> lost_{0};
};

}  // namespace rtstep::gpio
