// Rpi5Backend: RP1 bank 0 through /dev/gpiomem0. Levels change through the SET and CLR aliases of RIO OUT,
// which act only on the bits written as 1. The hot path only stores: a read would be a PCIe round trip.
#include "gpio/hardware.hpp"
#include "gpio/register_pins.hpp"

namespace rtstep::gpio {
namespace {
constexpr std::size_t kOutSet = rp1::kSysRio0 + rp1::kAliasSet + rp1::kRioOut;
constexpr std::size_t kOutClr = rp1::kSysRio0 + rp1::kAliasClr + rp1::kRioOut;
constexpr std::size_t kOeSet = rp1::kSysRio0 + rp1::kAliasSet + rp1::kRioOe;
constexpr std::size_t kOeClr = rp1::kSysRio0 + rp1::kAliasClr + rp1::kRioOe;
constexpr std::size_t kSyncIn = rp1::kSysRio0 + rp1::kRioSyncIn;
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

Status Rpi5Backend::configure_inputs(std::span<const InputSpec> inputs) {
  if (auto resolved = resolve_register_inputs(inputs, rp1::kPinCount, "rpi5", gpio_, input_gpio_, input_inverted_);
      !resolved) {
    return resolved;
  }
  // Output driver off first, then the pad (input on, pull), then hand the pin to RIO.
  uint32_t all = 0;
  for (uint8_t n : input_gpio_) all |= 1u << n;
  if (all != 0) *region_.reg(kOeClr) = all;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const uint8_t n = input_gpio_[i];
    volatile uint32_t* pad = region_.reg(rp1::kPadsBank0 + 4 + 4 * std::size_t{n});
    uint32_t value = (*pad & ~(rp1::kPadPullUp | rp1::kPadPullDown)) | rp1::kPadOutputDisable | rp1::kPadInputEnable;
    if (inputs[i].pull == Pull::kUp) value |= rp1::kPadPullUp;
    if (inputs[i].pull == Pull::kDown) value |= rp1::kPadPullDown;
    *pad = value;
    volatile uint32_t* ctrl = region_.reg(rp1::kIoBank0 + 8 * std::size_t{n} + 4);
    *ctrl = (*ctrl & ~rp1::kCtrlFuncselMask) | rp1::kFuncselSysRio;
  }
  return Ok{};
}

InputMask Rpi5Backend::read_inputs() noexcept {
  if (input_gpio_.empty()) return 0;
  return to_logical_inputs(*region_.reg(kSyncIn), input_inverted_, input_gpio_);
}

}  // namespace rtstep::gpio
