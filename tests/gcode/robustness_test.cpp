// Hostile input: random bytes and mutated slicer lines never crash the parser (run under ASan+UBSan
// in the debug preset), and every rejection points inside the line with a message.

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>

#include "gcode/gcode.hpp"

namespace rtstep::gcode {
namespace {

// Checks what every result must keep: a command, or an error that points inside the line.
void check_result(const std::string& line, bool ok, const Command& command, const ParseError& error) {
  if (ok) {
    EXPECT_NE(command.kind, CommandKind::kT) << line;  // T is reported as ignored, see gcode.hpp
    return;
  }
  EXPECT_EQ(command.kind, CommandKind::kEmpty) << line;
  EXPECT_FALSE(error.message.empty()) << line;
  EXPECT_GE(error.column, 1U) << line;
  EXPECT_LE(error.column, line.size() + 1) << line;
}

TEST(GcodeRobustness, RandomBytes) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 80);
  LineScratch scratch;
  Command command;
  ParseError error;
  for (int i = 0; i < 20000; ++i) {
    std::string line(length(rng), '\0');
    for (char& c : line) {
      c = static_cast<char>(byte(rng));
    }
    const bool ok = parse_line(line, 1, "r.gcode", scratch, command, error);
    check_result(line, ok, command, error);
  }
}

TEST(GcodeRobustness, MutatedSlicerLines) {
  const std::string alphabet = "GMTNXYZEFIJRPS0123456789.-+ ;()*=\"'_\t\rabcxyz#";
  const std::string seeds[] = {"G1 X12.345 Y67.89 E0.0123 F1800", "G2 X10 Y0 I5 J0", "M204 P1000 T500",
                               "SET_VELOCITY_LIMIT ACCEL=300 VELOCITY=20", "N10 G28 X Y*99", "M117 hi (x) ; y"};
  std::mt19937 rng(777);
  LineScratch scratch;
  Command command;
  ParseError error;
  std::size_t accepted_motion = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string line = seeds[static_cast<std::size_t>(i) % std::size(seeds)];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (line.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          line.insert(at, 1, c);
          break;
        case 1:
          if (at < line.size()) {
            line.erase(at, 1);
          }
          break;
        default:
          if (at < line.size()) {
            line[at] = c;
          }
          break;
      }
    }
    const bool ok = parse_line(line, 1, "m.gcode", scratch, command, error);
    check_result(line, ok, command, error);
    if (ok && command.kind == CommandKind::kG && command.number <= 3) {
      ++accepted_motion;
      // An accepted move only carries letters a move takes.
      EXPECT_EQ(command.present & ~((1U << ('X' - 'A')) | (1U << ('Y' - 'A')) | (1U << ('Z' - 'A')) |
                                    (1U << ('E' - 'A')) | (1U << ('F' - 'A')) | (1U << ('I' - 'A')) |
                                    (1U << ('J' - 'A')) | (1U << ('R' - 'A'))),
                0U)
          << line;
    }
  }
  EXPECT_GT(accepted_motion, 100U);  // the mutations must leave plenty of valid moves to check
}

TEST(GcodeRobustness, RandomStreamThroughReader) {
  std::mt19937 rng(4242);
  std::string text(200000, '\0');
  for (char& c : text) {
    const auto r = rng() % 100;
    c = r < 5 ? '\n' : static_cast<char>(rng() % 256);
  }
  std::istringstream in(text);
  Reader reader(in, "noise.bin");
  std::size_t lines = 0;
  while (reader.next() != ReadStatus::kEndOfFile) {
    ++lines;
    ASSERT_LT(lines, text.size());
  }
  EXPECT_EQ(reader.line_number(), lines);
}

}  // namespace
}  // namespace rtstep::gcode
