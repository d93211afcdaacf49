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

struct GpiodBackend::InputChip {
  std::unique_ptr<GpiodLines> lines;
  std::vector<std::size_t> input;  // position in `values` -> input index
  std::vector<int> values;         // physical levels, filled by each read
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
  output_names_.clear();
  for (const PinSpec& pin : pins) output_names_.push_back(pin.name);
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
    if (!chip->lines->set_all(chip->values)) io_errors_.fetch_add(1, std::memory_order_relaxed);
  }
}

Status GpiodBackend::configure_inputs(std::span<const InputSpec> inputs) {
  if (inputs.size() > kMaxInputs) return Error{"more than " + std::to_string(kMaxInputs) + " inputs"};
  // One request per chip and bias: libgpiod 1.6 applies one set of flags to a whole bulk.
  struct Pending {
    std::vector<LineSelector> lines;
    std::unique_ptr<InputChip> chip = std::make_unique<InputChip>();
  };
  std::map<std::pair<std::string, int>, Pending> by_chip;
  input_inverted_ = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (const std::string& output : output_names_) {
      if (output == inputs[i].name) return Error{"pin \"" + inputs[i].name + "\" is already used as an output"};
    }
    auto address = parse_pin_address(inputs[i].name);
    if (!address) return address.error();
    const int bias = inputs[i].pull == Pull::kUp ? 1 : inputs[i].pull == Pull::kDown ? -1 : 0;
    Pending& p = by_chip[{address->chip.empty() ? default_chip_ : address->chip, bias}];
    p.lines.push_back(LineSelector{address->line, address->line_name});
    p.chip->input.push_back(i);
    if (inputs[i].inverted) input_inverted_ |= InputMask{1} << i;
  }
  input_chips_.clear();
  for (auto& [key, p] : by_chip) {
    auto lines = GpiodLines::request_inputs(key.first, p.lines, key.second, consumer_);
    if (!lines) return lines.error();
    p.chip->lines = std::move(*lines);
    p.chip->values.assign(p.lines.size(), 0);
    input_chips_.push_back(std::move(p.chip));
  }
  return Ok{};
}

InputMask GpiodBackend::read_inputs() noexcept {
  InputMask physical = 0, failed = 0;
  for (auto& chip : input_chips_) {
    if (!chip->lines->get_all(chip->values)) {
      io_errors_.fetch_add(1, std::memory_order_relaxed);
      for (std::size_t i : chip->input) failed |= InputMask{1} << i;
      continue;
    }
    for (std::size_t k = 0; k < chip->values.size(); ++k) {
      if (chip->values[k] != 0) physical |= InputMask{1} << chip->input[k];
    }
  }
  return ((physical ^ input_inverted_) & ~failed) | failed;  // an input that cannot be read counts as triggered
}

}  // namespace rtstep::gpio
