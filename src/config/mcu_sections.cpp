// [mcu] sections and the board a pin names (see config.hpp: McuConfig, board_pin).

#include "config/mcu_sections.hpp"

#include <cctype>

#include "config/text.hpp"

namespace rtstep::config {

namespace {

constexpr int64_t kMinBaud = 2400;  // as Klipper reads it
constexpr std::string_view kRestartMethods[] = {"command", "arduino", "cheetah", "rpi_usb"};

McuConfig read_mcu(SectionReader& r, std::string name) {
  McuConfig mcu;
  mcu.name = std::move(name);
  mcu.where = r.section().file + ":" + std::to_string(r.section().line);
  if (const Value* serial = r.find("serial")) mcu.serial = serial->text;  // a path: case kept
  mcu.baud = static_cast<uint32_t>(r.integer("baud", Range::closed(kMinBaud, 20'000'000), mcu.baud));
  if (r.find("restart_method") != nullptr) {
    mcu.restart_method = r.word("restart_method");
    bool known = false;
    for (std::string_view m : kRestartMethods) known = known || m == mcu.restart_method;
    if (!known) r.fail_expected("restart_method", "one of command, arduino, cheetah, rpi_usb");
  }
  return mcu;
}

// A GPIO line of this computer as the local backends name it: gpioN, or chip/line.
bool is_local_line(const std::string& name) {
  if (name.find('/') != std::string::npos) return true;
  if (name.size() <= 4 || text::to_lower(name.substr(0, 4)) != "gpio") return false;
  for (std::size_t i = 4; i < name.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(name[i])) == 0) return false;
  }
  return true;
}

}  // namespace

void read_mcu_sections(const RawConfig& raw, MachineConfig& m, std::vector<SectionReader>& readers, ErrorSink& errors) {
  if (const Section* main = raw.find("mcu")) m.mcus.push_back(read_mcu(readers.emplace_back(*main, errors), "mcu"));
  for (const Section& s : raw.sections) {
    if (s.name.rfind("mcu ", 0) != 0) continue;
    m.mcus.push_back(read_mcu(readers.emplace_back(s, errors), std::string(text::trim(s.name.substr(4)))));
  }
}

std::optional<BoardPin> board_pin(const std::vector<McuConfig>& mcus, const PinConfig& pin) {
  if (mcus.empty() || pin.empty()) return std::nullopt;
  const auto find = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < mcus.size(); ++i) {
      if (text::to_lower(mcus[i].name) == text::to_lower(name)) return i;
    }
    return std::nullopt;
  };
  if (const auto colon = pin.name.find(':'); colon != std::string::npos) {
    const auto mcu = find(pin.name.substr(0, colon));
    if (!mcu) return std::nullopt;
    return BoardPin{*mcu, pin.name.substr(colon + 1)};
  }
  const auto main = find("mcu");
  if (!main || is_local_line(pin.name)) return std::nullopt;
  return BoardPin{*main, pin.name};
}

}  // namespace rtstep::config
