// GpiodBackend: pins grouped per chip, each chip's lines requested once and set in one call per write.
#include <map>

#include "gpio/gpiod_lines.hpp"
#include "gpio/hardware.hpp"
#include "gpio/register_pins.hpp"

namespace rtstep::gpio {

struct GpiodBackend::Chip {
  std::unique_ptr<GpiodLines> lines;
  PinMask pins = 0;               // logical pins on this chip
  std::vector<std::size_t> slot;  // logical pin index -> position in `values` (only for pins in `pins`)
  std::vector<int> values;        // physical level of every requested line
  PinMask inverted = 0;
};

GpiodBackend::GpiodBackend(std::string default_chip, std::string consumer)
    : default_chip_(std::move(default_chip)), consumer_(std::move(consumer)) {}

GpiodBackend::~GpiodBackend() { write(0, configured_, 0, 0); }

Status GpiodBackend::configure(std::span<const PinSpec> pins) {
  if (pins.size() > kMaxPins) return Error{"more than " + std::to_string(kMaxPins) + " pins"};
  struct Pending {
    std::vector<LineSelector> lines;
    std::vector<int> initial;
    std::unique_ptr<Chip> chip = std::make_unique<Chip>();
  };
  std::map<std::string, Pending> by_chip;
  for (std::size_t i = 0; i < pins.size(); ++i) {
    auto address = parse_pin_address(pins[i].name);
    if (!address) return address.error();
    Pending& p = by_chip[address->chip.empty() ? default_chip_ : address->chip];
    p.chip->slot.resize(pins.size(), 0);
    p.chip->slot[i] = p.lines.size();
    p.chip->pins |= PinMask{1} << i;
    if (pins[i].inverted) p.chip->inverted |= PinMask{1} << i;
    p.lines.push_back(LineSelector{address->line, address->line_name});
    p.initial.push_back(pins[i].inverted ? 1 : 0);  // logical 0
  }
  chips_.clear();
  for (auto& [name, p] : by_chip) {
    auto lines = GpiodLines::request_outputs(name, p.lines, p.initial, consumer_);
    if (!lines) return lines.error();
    p.chip->lines = std::move(*lines);
    p.chip->values = p.initial;
    chips_.push_back(std::move(p.chip));
  }
  configured_ = first_pins(pins.size());
  return Ok{};
}

void GpiodBackend::write(PinMask high, PinMask low, int64_t, int64_t) noexcept {
  for (auto& chip : chips_) {
    const PinMask mine = (high | low) & chip->pins;
    if (mine == 0) continue;
    for (PinMask m = mine; m != 0; m &= m - 1) {
      const auto i = static_cast<std::size_t>(__builtin_ctzll(m));
      const bool logical = (high >> i) & 1U;
      const bool inverted = (chip->inverted >> i) & 1U;
      chip->values[chip->slot[i]] = logical != inverted ? 1 : 0;
    }
    if (!chip->lines->set_all(chip->values)) write_errors_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace rtstep::gpio
