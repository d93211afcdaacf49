#pragma once
// What the two G-code fuzz targets check a parsed line against: a re-serialiser that writes a Command
// back as the plainest G-code line that means the same (so it must parse back to an equal Command),
// an owning copy of a Command for comparing across parses, and the shape every ParseError must have.
// Non-real-time; fuzz harness only.

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_util.hpp"
#include "gcode/gcode.hpp"

namespace rtstep::fuzz {

// A Command with its views copied out, so it outlives the parse that produced it.
struct OwnedCommand {
  gcode::CommandKind kind = gcode::CommandKind::kEmpty;
  int32_t number = 0;
  uint32_t line = 0;
  std::string name;
  uint32_t present = 0;
  uint32_t bare = 0;
  std::array<double, 26> values{};
  std::vector<std::pair<std::string, std::string>> params;

  static OwnedCommand of(const gcode::Command& c) {
    OwnedCommand o;
    o.kind = c.kind;
    o.number = c.number;
    o.line = c.line;
    o.name = std::string(c.name);
    o.present = c.present;
    o.bare = c.bare;
    o.values = c.values;
    for (const auto& p : c.params) o.params.emplace_back(std::string(p.key), std::string(p.value));
    return o;
  }
};

// Same meaning: kind, number, name, which letters are present (and bare), their values bit for bit
// (so -0 stays -0), the extended parameters in order. The line number is compared by the caller.
inline bool same_meaning(const OwnedCommand& a, const OwnedCommand& b) {
  if (a.kind != b.kind || a.number != b.number || a.name != b.name || a.present != b.present || a.bare != b.bare ||
      a.params != b.params) {
    return false;
  }
  for (unsigned i = 0; i < 26; ++i) {
    if (((a.present >> i) & 1U) != 0 && std::memcmp(&a.values[i], &b.values[i], sizeof(double)) != 0) return false;
  }
  return true;
}

inline std::string describe(const OwnedCommand& c) {
  std::string out = "kind=" + std::to_string(static_cast<int>(c.kind)) + " number=" + std::to_string(c.number) +
                    " name=\"" + c.name + "\" present=" + std::to_string(c.present) + " bare=" + std::to_string(c.bare);
  for (unsigned i = 0; i < 26; ++i) {
    if (((c.present >> i) & 1U) != 0) out += " " + std::string(1, static_cast<char>('A' + i)) + "=" + std::to_string(c.values[i]);
  }
  for (const auto& [k, v] : c.params) out += " " + k + "=" + v;
  return out;
}

// A word number in the only form the parser takes: plain decimal, no exponent, the shortest digits that
// read back to the same double.
inline std::string word_number(double value) {
  char buffer[400];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  FUZZ_CHECK(result.ec == std::errc(), "a finite double always fits 400 fixed-format characters");
  return std::string(buffer, result.ptr);
}

// The plainest line meaning `c`: the command word, then each present letter A..Z with its number (none
// when bare); or an extended command's name and KEY=VALUE pairs; or only the name of an ignored command
// (whose parameters the parser does not read). An empty command is an empty line.
inline std::string serialise(const OwnedCommand& c) {
  using gcode::CommandKind;
  switch (c.kind) {
    case CommandKind::kEmpty:
      return "";
    case CommandKind::kIgnored:
      return c.name;
    case CommandKind::kExtended: {
      std::string line = c.name;
      for (const auto& [key, value] : c.params) line += " " + key + "=" + value;
      return line;
    }
    case CommandKind::kG:
    case CommandKind::kM:
    case CommandKind::kT: {
      std::string line = c.name;
      for (unsigned i = 0; i < 26; ++i) {
        if (((c.present >> i) & 1U) == 0) continue;
        line += ' ';
        line += static_cast<char>('A' + i);
        if (((c.bare >> i) & 1U) == 0) line += word_number(c.values[i]);
      }
      return line;
    }
  }
  return "?";
}

// Every rejected line names its file and line and a column inside the line (or just past its end), carries
// a message, prints as "file:line:col: message", and leaves no command behind.
inline void check_error(const gcode::ParseError& e, std::string_view source, uint32_t line_number,
                        std::size_t line_length, const gcode::Command& out) {
  FUZZ_CHECK(e.file == source, e.to_string());
  FUZZ_CHECK(e.line == line_number, e.to_string());
  FUZZ_CHECK(e.column >= 1 && e.column <= line_length + 1, e.to_string());
  FUZZ_CHECK(!e.message.empty(), e.to_string());
  const std::string prefix =
      std::string(source) + ":" + std::to_string(line_number) + ":" + std::to_string(e.column) + ": ";
  FUZZ_CHECK(starts_with(e.to_string(), prefix) && e.to_string().size() > prefix.size(), e.to_string());
  FUZZ_CHECK(out.kind == gcode::CommandKind::kEmpty && out.present == 0 && out.params.empty(),
             "a rejected line must yield no command: " + e.to_string());
}

// Checks a successfully parsed command's own consistency: bare letters are present letters, and only
// word commands carry letters, only extended commands carry KEY=VALUE parameters.
inline void check_command_shape(const OwnedCommand& c) {
  FUZZ_CHECK((c.bare & ~c.present) == 0, describe(c));
  FUZZ_CHECK(c.present < (1U << 26), describe(c));
  const bool word = c.kind == gcode::CommandKind::kG || c.kind == gcode::CommandKind::kM;
  FUZZ_CHECK(word || c.present == 0, describe(c));
  FUZZ_CHECK(c.kind == gcode::CommandKind::kExtended || c.params.empty(), describe(c));
  FUZZ_CHECK(c.kind == gcode::CommandKind::kEmpty || !c.name.empty(), describe(c));
  for (unsigned i = 0; i < 26; ++i) {
    if (((c.present >> i) & 1U) != 0) FUZZ_CHECK(std::isfinite(c.values[i]), describe(c));
  }
}

}  // namespace rtstep::fuzz
