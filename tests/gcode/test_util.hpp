#pragma once
// Helpers for the gcode tests: parse one line and get either the command or the error.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "gcode/gcode.hpp"

namespace rtstep::gcode::testing {

// Owns everything a parsed Command may point into, so tests can hold the result.
struct Parsed {
  std::string line;
  LineScratch scratch;
  Command command;
  ParseError error;
  bool ok = false;
};

inline Parsed parse(std::string_view line, uint32_t line_number = 1) {
  Parsed p;
  p.line.assign(line);
  p.ok = parse_line(p.line, line_number, "part.gcode", p.scratch, p.command, p.error);
  return p;
}

// The full `file:line:col: message` of a line that must fail.
inline std::string error_of(std::string_view line, uint32_t line_number = 1) {
  const Parsed p = parse(line, line_number);
  if (p.ok) {
    return "<no error>";
  }
  return p.error.to_string();
}

}  // namespace rtstep::gcode::testing
