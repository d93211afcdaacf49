// Board detection from the device tree, and the backend `--backend auto` picks for it.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gpio/hardware.hpp"
#include "gpio/register_pins.hpp"

namespace rtstep::gpio {
namespace {

// A device-tree property: NUL-separated strings; returned with the NULs as spaces, trailing ones dropped.
std::string read_property(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && text.back() == '\0') text.pop_back();
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text;
}

bool has_word(const std::string& words, const std::string& word) {
  std::istringstream in(words);
  for (std::string w; in >> w;) {
    if (w == word) return true;
  }
  return false;
}

bool has_gpiochip(const std::filesystem::path& dev) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dev, ec)) {
    if (entry.path().filename().string().rfind("gpiochip", 0) == 0) return true;
  }
  return false;
}

}  // namespace

BoardInfo detect_board(const std::string& root) {
  const std::filesystem::path dt = std::filesystem::path(root) / "proc/device-tree";
  BoardInfo info;
  info.compatible = read_property(dt / "compatible");
  info.model = read_property(dt / "model");
  if (has_word(info.compatible, "brcm,bcm2712")) {
    info.board = Board::kRaspberryPi5;
  } else if (has_word(info.compatible, "brcm,bcm2711")) {
    info.board = Board::kRaspberryPi4;
  } else if (!info.compatible.empty()) {
    info.board = Board::kOtherArm;
  }
  return info;
}

const char* backend_name(BackendKind kind) noexcept {
  switch (kind) {
    case BackendKind::kSim: return "sim";
    case BackendKind::kGpiod: return "gpiod";
    case BackendKind::kRpi4: return "rpi4";
    case BackendKind::kRpi5: return "rpi5";
  }
  return "?";
}

Result<BackendKind> parse_backend_kind(std::string_view name) {
  for (BackendKind kind : {BackendKind::kSim, BackendKind::kGpiod, BackendKind::kRpi4, BackendKind::kRpi5}) {
    if (name == backend_name(kind)) return kind;
  }
  return Error{"unknown GPIO backend \"" + std::string(name) + "\" (choose sim, gpiod, rpi4, rpi5 or auto)"};
}

BackendChoice choose_backend(const std::string& root) {
  const BoardInfo board = detect_board(root);
  const std::string what = board.model.empty() ? board.compatible : board.model;
  switch (board.board) {
    case Board::kRaspberryPi5:
      return {BackendKind::kRpi5, what + ": RP1 registers through /dev/gpiomem0"};
    case Board::kRaspberryPi4:
      return {BackendKind::kRpi4, what + ": BCM2711 registers through /dev/gpiomem"};
    default:
      break;
  }
  if (has_gpiochip(std::filesystem::path(root) / "dev")) {
    return {BackendKind::kGpiod, (what.empty() ? std::string("no known board") : what) +
                                     ": a GPIO character device is present, using libgpiod"};
  }
  return {BackendKind::kSim, "no Raspberry Pi and no GPIO character device on this machine: simulating the pins"};
}

Status check_pin_name(BackendKind kind, const std::string& name) {
  const auto in_bank = [&](int pin_count, const char* board) -> Status {
    auto number = register_pin_number(PinSpec{name, false}, pin_count, backend_name(kind));
    if (number) return Ok{};
    auto address = parse_pin_address(name);
    if (!address) return address.error();
    if (number.error().message.find("backend has GPIO") != std::string::npos) {
      return Error{name + ": the " + board + " has GPIO 0-" + std::to_string(pin_count - 1)};
    }
    return Error{name + ": the " + std::string(backend_name(kind)) +
                 " backend needs gpioN or GPION names (line names need the gpiod backend)"};
  };
  switch (kind) {
    case BackendKind::kSim: return Ok{};
    case BackendKind::kGpiod: {
      auto address = parse_pin_address(name);
      if (!address) return address.error();
      return Ok{};
    }
    case BackendKind::kRpi4: return in_bank(bcm2711::kPinCount, "Raspberry Pi 4");
    case BackendKind::kRpi5: return in_bank(rp1::kPinCount, "Raspberry Pi 5");
  }
  return Ok{};
}

Result<std::unique_ptr<Backend>> open_backend(BackendKind kind) {
  switch (kind) {
    case BackendKind::kSim:
      return std::unique_ptr<Backend>(std::make_unique<SimBackend>());
    case BackendKind::kGpiod:
      return std::unique_ptr<Backend>(std::make_unique<GpiodBackend>());
    case BackendKind::kRpi4: {
      auto region = MmioRegion::map("/dev/gpiomem", bcm2711::kBlockBytes);
      if (!region) return region.error();
      return std::unique_ptr<Backend>(std::make_unique<Rpi4Backend>(std::move(*region)));
    }
    case BackendKind::kRpi5: {
      auto region = MmioRegion::map("/dev/gpiomem0", rp1::kWindowBytes);
      if (!region) return region.error();
      return std::unique_ptr<Backend>(std::make_unique<Rpi5Backend>(std::move(*region)));
    }
  }
  return Error{"unknown backend"};
}

}  // namespace rtstep::gpio
