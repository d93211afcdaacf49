#pragma once
// Private to the gpio module: the one small adapter between rtstep and libgpiod. Debian 12 ships libgpiod
// 1.6 (gpiod_v1.cpp); libgpiod 2.x (line settings / line requests) needs only another implementation of
// this class.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace rtstep::gpio {

struct LineSelector {
  int offset = -1;        // line offset, or -1 to look the line up by name
  std::string name;       // device-tree line name when offset is -1
};

class GpiodLines {
 public:
  // Opens `chip` ("gpiochip0", or a path under /dev) and requests `lines` as outputs driven to
  // `initial` (physical levels). Errors say what to do: missing chip, busy line, permissions.
  static Result<std::unique_ptr<GpiodLines>> request_outputs(const std::string& chip,
                                                             std::span<const LineSelector> lines,
                                                             std::span<const int> initial, const std::string& consumer);
  // Opens `chip` and requests `lines` as inputs, all with the same bias (-1 pull-down, 0 none, 1 pull-up;
  // "none" leaves the line's bias as it is). Same errors as request_outputs.
  static Result<std::unique_ptr<GpiodLines>> request_inputs(const std::string& chip, std::span<const LineSelector> lines,
                                                            int bias, const std::string& consumer);
  virtual ~GpiodLines() = default;
  // Sets every requested line to `values` (physical, one per line) in one call. Real-time safe as far as
  // an ioctl is: no allocation. False when the kernel refused.
  virtual bool set_all(std::span<const int> values) noexcept = 0;
  // Reads every requested line's physical level into `values` (one per line) in one call. Real-time safe as
  // far as an ioctl is. False when the kernel refused.
  virtual bool get_all(std::span<int> values) noexcept = 0;
};

}  // namespace rtstep::gpio
