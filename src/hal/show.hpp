#pragma once
// `show` and `list` in halcmd's layouts (LinuxCNC halcmd_commands.cc). Non-real-time.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hal/hal.hpp"

namespace rtstep::hal {

// A name matches a pattern when the pattern is a prefix of it or an fnmatch glob matching it; no
// patterns match everything.
bool name_matches(std::string_view name, std::span<const std::string> patterns);

// What `show` prints: names matching `patterns`, of `type` (-t) only for pins, parameters and signals; in
// halcmd's script mode (-s) without section titles and with packed fields: one line per signal with its
// pins, one line per thread with its functions, the owner's name instead of its id.
struct ShowOptions {
  std::span<const std::string> patterns;
  std::optional<Type> type;
  bool script = false;
};

// `show [comp|pin|sig|signal|param|parameter|funct|function|thread|alias|all] [-t TYPE] [pattern...]`;
// bare `show` (what empty) prints every section. Each section ends with a blank line.
Result<std::string> show(const Hal& hal, std::string_view what, const ShowOptions& options);

// `list comp|pin|sig|param|funct|thread [pattern...]`: names separated by spaces, with a trailing space.
Result<std::string> list(const Hal& hal, std::string_view what, std::span<const std::string> patterns);

}  // namespace rtstep::hal
