// Rpi4Backend: BCM2711 GPIO through /dev/gpiomem. Levels change through GPSET/GPCLR, which act only on
// the bits written as 1, so one store changes many pins and never disturbs the others.
#include "gpio/hardware.hpp"
#include "gpio/register_pins.hpp"

namespace rtstep::gpio {

Status Rpi4Backend::configure(std::span<const PinSpec> pins) {
  if (auto resolved = resolve_register_pins(pins, bcm2711::kPinCount, "rpi4", gpio_, inverted_); !resolved) {
    return resolved;
  }
  // Drive every pin to its logical 0 before it becomes an output, so it never glitches to the wrong level.
  configured_ = first_pins(pins.size());
  write(0, configured_, 0, 0);
  for (uint8_t n : gpio_) {
    volatile uint32_t* fsel = region_.reg(bcm2711::kGpfsel0 + 4 * (n / 10));
    const unsigned shift = 3 * (n % 10);
    *fsel = (*fsel & ~(7u << shift)) | (1u << shift);  // 001 = output; other pins' fields untouched
  }
  return Ok{};
}

void Rpi4Backend::write(PinMask high, PinMask low, int64_t, int64_t) noexcept {
  const PhysicalWrite w = to_physical(high, low, inverted_, gpio_);
  if (static_cast<uint32_t>(w.high) != 0) *region_.reg(bcm2711::kGpset0) = static_cast<uint32_t>(w.high);
  if ((w.high >> 32) != 0) *region_.reg(bcm2711::kGpset0 + 4) = static_cast<uint32_t>(w.high >> 32);
  if (static_cast<uint32_t>(w.low) != 0) *region_.reg(bcm2711::kGpclr0) = static_cast<uint32_t>(w.low);
  if ((w.low >> 32) != 0) *region_.reg(bcm2711::kGpclr0 + 4) = static_cast<uint32_t>(w.low >> 32);
}

Status Rpi4Backend::configure_inputs(std::span<const InputSpec> inputs) {
  if (auto resolved = resolve_register_inputs(inputs, bcm2711::kPinCount, "rpi4", gpio_, input_gpio_, input_inverted_);
      !resolved) {
    return resolved;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const uint8_t n = input_gpio_[i];
    volatile uint32_t* fsel = region_.reg(bcm2711::kGpfsel0 + 4 * (n / 10));
    *fsel = *fsel & ~(7u << (3 * (n % 10)));  // 000 = input
    const uint32_t pull = inputs[i].pull == Pull::kUp     ? bcm2711::kPullUp
                          : inputs[i].pull == Pull::kDown ? bcm2711::kPullDown
                                                          : bcm2711::kPullNone;
    volatile uint32_t* pud = region_.reg(bcm2711::kPullCntrl0 + 4 * (n / 16));
    const unsigned shift = 2 * (n % 16);
    *pud = (*pud & ~(3u << shift)) | (pull << shift);
  }
  return Ok{};
}

InputMask Rpi4Backend::read_inputs() noexcept {
  if (input_gpio_.empty()) return 0;
  uint64_t levels = *region_.reg(bcm2711::kGplev0);
  levels |= uint64_t{*region_.reg(bcm2711::kGplev0 + 4)} << 32;
  return to_logical_inputs(levels, input_inverted_, input_gpio_);
}

}  // namespace rtstep::gpio
