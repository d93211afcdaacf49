// Rpi5Backend: RP1 bank 0 through /dev/gpiomem0. Levels change through the SET and CLR aliases of RIO OUT,
// which act only on the bits written as 1. The hot path only stores: a read would be a PCIe round trip.
#include "gpio/hardware.hpp"
#include "gpio/register_pins.hpp"

namespace rtstep::gpio {
namespace {
constexpr std::size_t kOutSet = rp1::kSysRio0 + rp1::kAliasSet + rp1::kRioOut;
constexpr std::size_t kOutClr = rp1::kSysRio0 + rp1::kAliasClr + rp1::kRioOut;
constexpr std::size_t kOeSet = rp1::kSysRio0 + rp1::kAliasSet + rp1::kRioOe;
}  // namespace

Status Rpi5Backend::configure(std::span<const PinSpec> pins) {
  if (auto resolved = resolve_register_pins(pins, rp1::kPinCount, "rpi5", gpio_, inverted_); !resolved) {
    return resolved;
  }
  // Order: level, then output enable, then pads, then hand the pin to RIO, so it never drives a wrong level.
  configured_ = first_pins(pins.size());
  write(0, configured_, 0, 0);
  uint32_t all = 0;
  for (uint8_t n : gpio_) all |= 1u << n;
  *region_.reg(kOeSet) = all;
  for (uint8_t n : gpio_) {
    volatile uint32_t* pad = region_.reg(rp1::kPadsBank0 + 4 + 4 * std::size_t{n});
    *pad = (*pad & ~rp1::kPadOutputDisable) | rp1::kPadInputEnable;
    volatile uint32_t* ctrl = region_.reg(rp1::kIoBank0 + 8 * std::size_t{n} + 4);
    *ctrl = (*ctrl & ~rp1::kCtrlFuncselMask) | rp1::kFuncselSysRio;
  }
  return Ok{};
}

void Rpi5Backend::write(PinMask high, PinMask low, int64_t, int64_t) noexcept {
  const PhysicalWrite w = to_physical(high, low, inverted_, gpio_);
  if (w.high != 0) *region_.reg(kOutSet) = static_cast<uint32_t>(w.high);
  if (w.low != 0) *region_.reg(kOutClr) = static_cast<uint32_t>(w.low);
}

}  // namespace rtstep::gpio
