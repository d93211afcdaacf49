// GpiodLines on libgpiod 1.6: one gpiod_line_bulk per chip, set with gpiod_line_set_value_bulk (one ioctl).
#include <gpiod.h>

#include <cerrno>
#include <cstring>

#include "gpio/gpiod_lines.hpp"

namespace rtstep::gpio {
namespace {

std::string chip_advice(const std::string& chip, int err) {
  if (err == ENOENT) {
    return "GPIO chip " + chip + " not found: list the chips with `gpiodetect` (package gpiod); on a Raspberry Pi 5 "
           "the header is gpiochip0 on recent kernels (gpiochip4 on older ones)";
  }
  if (err == EACCES || err == EPERM) {
    return "GPIO chip " + chip + ": permission denied: add the user to the gpio group (usermod -aG gpio $USER) or a "
           "udev rule such as SUBSYSTEM==\"gpio\", GROUP=\"gpio\", MODE=\"0660\"; or run as root";
  }
  return "GPIO chip " + chip + ": " + std::strerror(err);
}

class LinesV1 final : public GpiodLines {
 public:
  LinesV1(gpiod_chip* chip, const gpiod_line_bulk& bulk) : chip_(chip), bulk_(bulk) {}
  ~LinesV1() override {
    gpiod_line_release_bulk(&bulk_);
    gpiod_chip_close(chip_);
  }
  bool set_all(std::span<const int> values) noexcept override {
    return gpiod_line_set_value_bulk(&bulk_, values.data()) == 0;
  }
  bool get_all(std::span<int> values) noexcept override {
    return gpiod_line_get_value_bulk(&bulk_, values.data()) == 0;
  }

 private:
  gpiod_chip* chip_;
  gpiod_line_bulk bulk_;
};

gpiod_chip* open_chip(const std::string& chip) {
  return chip.find('/') != std::string::npos ? gpiod_chip_open(chip.c_str()) : gpiod_chip_open_by_name(chip.c_str());
}

// Opens the chip and collects the selected lines into `bulk`; on error nothing stays open.
Result<gpiod_chip*> collect_lines(const std::string& chip, std::span<const LineSelector> lines, gpiod_line_bulk& bulk) {
  if (lines.size() > GPIOD_LINE_BULK_MAX_LINES) {
    return Error{"GPIO chip " + chip + ": more than " + std::to_string(GPIOD_LINE_BULK_MAX_LINES) + " lines"};
  }
  gpiod_chip* handle = open_chip(chip);
  if (handle == nullptr) return Error{chip_advice(chip, errno)};
  gpiod_line_bulk_init(&bulk);
  for (const LineSelector& sel : lines) {
    gpiod_line* line = sel.offset >= 0 ? gpiod_chip_get_line(handle, static_cast<unsigned>(sel.offset))
                                       : gpiod_chip_find_line(handle, sel.name.c_str());
    if (line == nullptr) {
      const std::string what = sel.offset >= 0 ? "line " + std::to_string(sel.offset) : "line named \"" + sel.name + "\"";
      const unsigned count = gpiod_chip_num_lines(handle);
      gpiod_chip_close(handle);
      return Error{"GPIO chip " + chip + " has no " + what + " (it has " + std::to_string(count) + " lines)"};
    }
    gpiod_line_bulk_add(&bulk, line);
  }
  return handle;
}

Error request_error(const std::string& chip, int err) {
  if (err == EBUSY) {
    return Error{"GPIO chip " + chip + ": a line is already in use by another program or driver (see `gpioinfo " +
                 chip + "`)"};
  }
  return Error{chip_advice(chip, err)};
}

}  // namespace

Result<std::unique_ptr<GpiodLines>> GpiodLines::request_outputs(const std::string& chip,
                                                                std::span<const LineSelector> lines,
                                                                std::span<const int> initial,
                                                                const std::string& consumer) {
  gpiod_line_bulk bulk;
  auto handle = collect_lines(chip, lines, bulk);
  if (!handle) return handle.error();
  if (gpiod_line_request_bulk_output(&bulk, consumer.c_str(), initial.data()) != 0) {
    const int err = errno;
    gpiod_chip_close(*handle);
    return request_error(chip, err);
  }
  return std::unique_ptr<GpiodLines>(new LinesV1(*handle, bulk));
}

Result<std::unique_ptr<GpiodLines>> GpiodLines::request_inputs(const std::string& chip,
                                                               std::span<const LineSelector> lines, int bias,
                                                               const std::string& consumer) {
  gpiod_line_bulk bulk;
  auto handle = collect_lines(chip, lines, bulk);
  if (!handle) return handle.error();
  const int flags = bias > 0 ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP : bias < 0 ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN : 0;
  if (gpiod_line_request_bulk_input_flags(&bulk, consumer.c_str(), flags) != 0) {
    const int err = errno;
    gpiod_chip_close(*handle);
    return request_error(chip, err);
  }
  return std::unique_ptr<GpiodLines>(new LinesV1(*handle, bulk));
}

}  // namespace rtstep::gpio
