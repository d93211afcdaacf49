// Fuzz target: one G-code line through gcode::parse_line (src/gcode).
//
// Invariants, for every input line:
// - parsing is a function of the text: a second parse with the same (reused) scratch and another line
//   number gives the same outcome, so no state leaks from one line into the next;
// - a rejected line yields an error naming the file, the line and a column within the line, and no command;
// - an accepted line re-serialises (fuzz/gcode_model.hpp) to a line that parses back to an equal command,
//   and re-serialising that gives the same text again (a fixed point).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "gcode/gcode.hpp"
#include "gcode_model.hpp"

namespace {

using rtstep::fuzz::OwnedCommand;
namespace gcode = rtstep::gcode;

constexpr std::string_view kSource = "fuzz.gcode";

struct Outcome {
  bool ok = false;
  OwnedCommand command;
  gcode::ParseError error;
};

Outcome parse(std::string_view line, uint32_t line_number, gcode::LineScratch& scratch) {
  Outcome o;
  gcode::Command command;
  o.ok = gcode::parse_line(line, line_number, kSource, scratch, command, o.error);
  if (!o.ok) rtstep::fuzz::check_error(o.error, kSource, line_number, line.size(), command);
  o.command = OwnedCommand::of(command);
  if (o.ok) FUZZ_CHECK(command.line == line_number, "the command must carry its line number");
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  gcode::LineScratch scratch;

  const Outcome first = parse(line, 7, scratch);
  const Outcome again = parse(line, 123456, scratch);
  FUZZ_CHECK(first.ok == again.ok, "the same line parsed twice gave different outcomes");
  if (!first.ok) {
    FUZZ_CHECK(first.error.column == again.error.column && first.error.message == again.error.message,
               first.error.to_string() + " | " + again.error.to_string());
    return 0;
  }
  FUZZ_CHECK(rtstep::fuzz::same_meaning(first.command, again.command),
             describe(first.command) + " | " + describe(again.command));
  rtstep::fuzz::check_command_shape(first.command);

  const std::string text = rtstep::fuzz::serialise(first.command);
  const Outcome back = parse(text, 7, scratch);
  FUZZ_CHECK(back.ok, "re-serialised \"" + text + "\" was rejected: " + back.error.to_string());
  FUZZ_CHECK(rtstep::fuzz::same_meaning(first.command, back.command),
             "\"" + text + "\": " + describe(first.command) + " | " + describe(back.command));
  FUZZ_CHECK(rtstep::fuzz::serialise(back.command) == text, "re-serialisation is not a fixed point: " + text);
  return 0;
}
