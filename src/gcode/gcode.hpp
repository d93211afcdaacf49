#pragma once
// gcode: streaming G-code parser. One line in, one validated Command (or one error) out.
//
// Contract
// - Constant memory whatever the file size: a Reader holds one line buffer of at most kMaxLineLength
//   bytes and the set of unknown command names already reported.
// - A line is parsed and validated whole before anything is returned: a rejected line yields an
//   Error naming file, line and column and no Command.
// - Letters are case-insensitive; comments `;...` and `(...)`, leading `N123` line numbers and a
//   trailing `*NN` checksum (XOR of the bytes before `*`, verified) are handled here and never reach
//   the caller.
// - Known commands (see docs/gcode.md) have their parameters checked here. Commands rtstep does not
//   know come back as CommandKind::kIgnored so the caller can report them once per name; a motion
//   command is never ignored.
// All functions are non-real-time (host side).

#include <array>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtstep::gcode {

inline constexpr std::size_t kMaxLineLength = 512;  // bytes, without the line ending

enum class CommandKind : uint8_t {
  kEmpty,     // blank line or comment only: nothing to do
  kG,         // G<number>, e.g. G1
  kM,         // M<number>, e.g. M104
  kT,         // T<number>: tool change. Not produced yet: until tools exist, T0 comes back as kIgnored "T0"
  kExtended,  // Klipper-style `NAME KEY=VALUE ...` that rtstep knows (SET_VELOCITY_LIMIT, GET_POSITION)
  kIgnored,   // a command rtstep does not know (M73, M117, PRINT_START, ...); see Command::name
};

// One KEY=VALUE parameter of an extended command. Views into the Reader's line buffer: valid until
// the next call to Reader::next().
struct ExtendedParam {
  std::string_view key;    // upper-cased
  std::string_view value;  // as written, without surrounding quotes
};

struct Command {
  CommandKind kind = CommandKind::kEmpty;
  int32_t number = 0;     // 1 for G1, 104 for M104, 0 for T0; 0 for extended commands
  uint32_t line = 0;      // 1-based line number in the source file
  std::string_view name;  // "G1", "M104", "SET_VELOCITY_LIMIT", "M73", "PRINT_START": upper-cased view,
                          // valid until the next Reader::next()
  bool first_ignored = false;  // kIgnored only: true the first time this name is seen in the file

  // Word parameters (G/M/T commands): letter -> value. A letter given without a number (`G28 X`)
  // is present with value 0 and its bit set in `bare`.
  uint32_t present = 0;  // bit (letter - 'A')
  uint32_t bare = 0;     // bit (letter - 'A'): the letter had no number
  std::array<double, 26> values{};

  // Extended commands only.
  std::span<const ExtendedParam> params;

  bool has(char letter) const noexcept { return (present >> (letter - 'A')) & 1U; }
  double get(char letter) const noexcept { return values[static_cast<std::size_t>(letter - 'A')]; }
  double get_or(char letter, double fallback) const noexcept { return has(letter) ? get(letter) : fallback; }
  bool is(CommandKind k, int32_t n) const noexcept { return kind == k && number == n; }
  // Extended commands: the value of KEY, or an empty view when absent.
  std::string_view param(std::string_view key) const noexcept;
};

struct ParseError {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;  // 1-based byte column where the problem starts
  std::string message;  // e.g. `bad number "1.2.3" for X`
  // "part.gcode:812:7: bad number "1.2.3" for X"
  std::string to_string() const;
};

// What one call to Reader::next() produced.
enum class ReadStatus : uint8_t { kCommand, kError, kEndOfFile };

struct LineScratch {
  std::string name;
  std::vector<ExtendedParam> params;
  std::string upper;  // upper-cased copy of an extended line
};

// Parses G-code from a stream, one line per next() call.
// A line longer than kMaxLineLength is read only when a `;` comment starts within its first
// kMaxLineLength bytes (slicers write their settings as long comment lines): the rest is comment and is
// only checked for bytes that are not text. Any other overlong line is an error.
class Reader {
 public:
  // `source_name` is the name used in error messages (usually the path as the user gave it).
  Reader(std::istream& in, std::string source_name);

  // Reads and parses the next line. On kCommand, command() holds it (kEmpty for blank/comment lines);
  // on kError, error() says why and the line is consumed; the caller decides whether to go on.
  ReadStatus next();

  const Command& command() const noexcept { return command_; }
  const ParseError& error() const noexcept { return error_; }
  uint32_t line_number() const noexcept { return line_number_; }
  const std::string& source_name() const noexcept { return source_name_; }

  // Names reported as ignored so far, in the order first seen.
  const std::vector<std::string>& ignored_names() const noexcept { return ignored_names_; }

  // At most this many distinct ignored names are remembered, so a hostile file cannot grow memory
  // without bound; names seen after that are never reported as first_ignored.
  static constexpr std::size_t kMaxIgnoredNames = 256;

 private:
  enum class Fetch : uint8_t { kLine, kTooLong, kEnd, kReadError };
  // Reads one line into line_. `length` is its length without the line ending; for kTooLong it is the
  // whole line's length, of which the first `stored` bytes are in line_ and the rest was consumed without
  // being stored (its first non-text byte, if any, noted in tail_control_).
  Fetch fetch_line(std::size_t& length, std::size_t& stored);
  // A line over kMaxLineLength: read when a `;` comment starts in its stored part, else an error.
  ReadStatus read_long_line(std::string_view stored, std::size_t length, std::size_t skipped_prefix);
  // Sets command_.first_ignored and remembers the name (kIgnored commands only).
  void note_ignored();

  std::istream& in_;
  std::string source_name_;
  // Reused buffer: kMaxLineLength bytes, one for a '\r' before the '\n', one for getline's NUL.
  std::array<char, kMaxLineLength + 2> line_{};
  // First byte that is not text in the unstored rest of an overlong line: its offset in the line, or npos.
  std::size_t tail_control_ = std::string_view::npos;
  char tail_control_byte_ = 0;
  uint32_t line_number_ = 0;
  Command command_;
  ParseError error_;
  std::vector<std::string> ignored_names_;
  LineScratch scratch_;
};

// Parses one line (no line ending) as line `line_number` of `source_name`. The Reader uses it; tests and
// benchmarks call it directly. `scratch` provides reusable storage so the call does not allocate in the
// steady state; views in `out` point into `line` or `scratch` and stay valid while both live.
bool parse_line(std::string_view line, uint32_t line_number, std::string_view source_name, LineScratch& scratch,
                Command& out, ParseError& error);

}  // namespace rtstep::gcode
