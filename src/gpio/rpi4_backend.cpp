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

}  // namespace rtstep::gpio
