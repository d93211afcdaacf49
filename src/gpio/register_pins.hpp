#pragma once
// Private to the gpio module: pin-mask helpers and the shared set-up steps of the hardware backends.
#include <string_view>
#include <vector>

#include "gpio/hardware.hpp"

namespace rtstep::gpio {

// The GPIO number of a register-backend pin: gpioN or the Raspberry Pi line name GPION, below pin_count.
Result<int> register_pin_number(const PinSpec& pin, int pin_count, std::string_view backend);

// The mask of pin indices 0 .. n-1 (every configured pin of a backend with n pins).
constexpr PinMask first_pins(std::size_t n) noexcept { return n >= kMaxPins ? ~PinMask{0} : (PinMask{1} << n) - 1; }

// Resolves every pin to its GPIO number, refusing a number used twice. Fills `numbers` and `inverted`.
Status resolve_register_pins(std::span<const PinSpec> pins, int pin_count, std::string_view backend,
                             std::vector<uint8_t>& numbers, PinMask& inverted);

// Resolves every input to its GPIO number, refusing one used twice or already an output (`outputs`, the
// numbers resolve_register_pins gave). Fills `numbers` and `inverted`.
Status resolve_register_inputs(std::span<const InputSpec> inputs, int pin_count, std::string_view backend,
                               const std::vector<uint8_t>& outputs, std::vector<uint8_t>& numbers,
                               InputMask& inverted);

// Logical input levels from the physical level bits (bit n = GPIO n) of a register read. Real-time safe.
inline InputMask to_logical_inputs(uint64_t levels, InputMask inverted, const std::vector<uint8_t>& numbers) noexcept {
  InputMask out = 0;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if ((levels >> numbers[i] & 1U) != 0) out |= InputMask{1} << i;
  }
  return out ^ inverted;
}

// Physical high/low masks over GPIO numbers for a logical write (inverted pins swap sides).
struct PhysicalWrite {
  uint64_t high = 0;
  uint64_t low = 0;
};
inline PhysicalWrite to_physical(PinMask high, PinMask low, PinMask inverted, const std::vector<uint8_t>& numbers) noexcept {
  PhysicalWrite out;
  const PinMask want_high = (high & ~inverted) | (low & inverted);
  const PinMask want_low = (low & ~inverted) | (high & inverted);
  for (PinMask m = want_high; m != 0; m &= m - 1) out.high |= uint64_t{1} << numbers[static_cast<std::size_t>(__builtin_ctzll(m))];
  for (PinMask m = want_low; m != 0; m &= m - 1) out.low |= uint64_t{1} << numbers[static_cast<std::size_t>(__builtin_ctzll(m))];
  return out;
}

}  // namespace rtstep::gpio
