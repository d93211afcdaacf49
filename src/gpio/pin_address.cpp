// parse_pin_address: `gpio17`, `gpiochip0/gpio17`, or a device-tree line name.
#include <charconv>
#include <string>

#include "gpio/hardware.hpp"
#include "gpio/register_pins.hpp"

namespace rtstep::gpio {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

// "gpio17" (lower case, as Klipper's Linux host pins are written) is a line offset; anything else is a
// line name. `GPIO17` is the device-tree name of the same line on Raspberry Pi boards.
Result<PinAddress> parse_line(std::string_view text, std::string chip, std::string_view whole) {
  PinAddress address;
  address.chip = std::move(chip);
  if (text.empty()) return Error{"pin \"" + std::string(whole) + "\": no line after the chip"};
  for (char c : text) {
    if (!is_name_char(c)) return Error{"pin \"" + std::string(whole) + "\": unexpected character '" + c + "'"};
  }
  if (text.substr(0, 4) == "gpio") {
    const std::string_view digits = text.substr(4);
    if (digits.empty()) return Error{"pin \"" + std::string(whole) + "\": no line number after \"gpio\""};
    int line = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), line);
    if (ec != std::errc() || end != digits.data() + digits.size() || line < 0 || line > 9999) {
      return Error{"pin \"" + std::string(whole) + "\": bad line number \"" + std::string(digits) + "\""};
    }
    address.line = line;
    return address;
  }
  address.line_name = std::string(text);
  return address;
}

}  // namespace

Result<PinAddress> parse_pin_address(std::string_view name) {
  if (name.empty()) return Error{"empty pin name"};
  const std::size_t slash = name.find('/');
  if (slash == std::string_view::npos) return parse_line(name, "", name);
  const std::string_view chip = name.substr(0, slash);
  if (chip.substr(0, 8) != "gpiochip" || chip.size() == 8 ||
      chip.find_first_not_of("0123456789", 8) != std::string_view::npos) {
    return Error{"pin \"" + std::string(name) + "\": \"" + std::string(chip) + "\" is not a chip name like gpiochip0"};
  }
  return parse_line(name.substr(slash + 1), std::string(chip), name);
}

// The GPIO number of a register-backend pin: gpioN or the Raspberry Pi line name GPION, on the default chip.
Result<int> register_pin_number(const PinSpec& pin, int pin_count, std::string_view backend) {
  auto address = parse_pin_address(pin.name);
  if (!address) return address.error();
  int number = address->line;
  if (number < 0 && address->line_name.size() > 4 && address->line_name.substr(0, 4) == "GPIO") {
    auto relabelled = parse_pin_address("gpio" + address->line_name.substr(4));
    if (relabelled) number = relabelled->line;
  }
  if (number < 0) {
    return Error{"pin \"" + pin.name + "\": the " + std::string(backend) +
                 " backend needs gpioN or GPION names (line names need the gpiod backend)"};
  }
  if (number >= pin_count) {
    return Error{"pin \"" + pin.name + "\": the " + std::string(backend) + " backend has GPIO 0 to " +
                 std::to_string(pin_count - 1)};
  }
  return number;
}

}  // namespace rtstep::gpio

namespace rtstep::gpio {

Status resolve_register_pins(std::span<const PinSpec> pins, int pin_count, std::string_view backend,
                             std::vector<uint8_t>& numbers, PinMask& inverted) {
  if (pins.size() > kMaxPins) return Error{"more than " + std::to_string(kMaxPins) + " pins"};
  numbers.clear();
  inverted = 0;
  std::vector<int> owner(static_cast<std::size_t>(pin_count), -1);
  for (std::size_t i = 0; i < pins.size(); ++i) {
    auto number = register_pin_number(pins[i], pin_count, backend);
    if (!number) return number.error();
    int& first = owner[static_cast<std::size_t>(*number)];
    if (first >= 0) {
      return Error{"pin \"" + pins[i].name + "\" is GPIO " + std::to_string(*number) + ", already used as \"" +
                   pins[static_cast<std::size_t>(first)].name + "\""};
    }
    first = static_cast<int>(i);
    numbers.push_back(static_cast<uint8_t>(*number));
    if (pins[i].inverted) inverted |= PinMask{1} << i;
  }
  return Ok{};
}

Status resolve_register_inputs(std::span<const InputSpec> inputs, int pin_count, std::string_view backend,
                               const std::vector<uint8_t>& outputs, std::vector<uint8_t>& numbers,
                               InputMask& inverted) {
  if (inputs.size() > kMaxInputs) return Error{"more than " + std::to_string(kMaxInputs) + " inputs"};
  numbers.clear();
  inverted = 0;
  std::vector<int> owner(static_cast<std::size_t>(pin_count), -1);
  for (uint8_t n : outputs) owner[n] = -2;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto number = register_pin_number(PinSpec{inputs[i].name, inputs[i].inverted}, pin_count, backend);
    if (!number) return number.error();
    int& first = owner[static_cast<std::size_t>(*number)];
    if (first == -2) {
      return Error{"pin \"" + inputs[i].name + "\" is GPIO " + std::to_string(*number) + ", already used as an output"};
    }
    if (first >= 0) {
      return Error{"pin \"" + inputs[i].name + "\" is GPIO " + std::to_string(*number) + ", already used as \"" +
                   inputs[static_cast<std::size_t>(first)].name + "\""};
    }
    first = static_cast<int>(i);
    numbers.push_back(static_cast<uint8_t>(*number));
    if (inputs[i].inverted) inverted |= InputMask{1} << i;
  }
  return Ok{};
}

}  // namespace rtstep::gpio
