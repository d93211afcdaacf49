// Fuzz target: a whole G-code file through gcode::Reader, the streaming reader `rtstep run` uses.
//
// Invariants:
// - every line of the file yields exactly one result (a command or an error) with that line's number, in
//   order, and then the end of the file: no line is skipped, merged or lost, whatever its length, line
//   ending or bytes;
// - each result equals what parse_line gives for that line on its own (after the reader strips the line
//   ending and, on line 1, a UTF-8 byte-order mark), except that a line longer than kMaxLineLength is an
//   error at column kMaxLineLength + 1;
// - an ignored command is flagged first_ignored exactly the first time its name appears (up to
//   Reader::kMaxIgnoredNames names), and ignored_names() lists those names in order.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "gcode/gcode.hpp"
#include "gcode/line_layout.hpp"
#include "gcode_model.hpp"

namespace {

namespace gcode = rtstep::gcode;
using rtstep::fuzz::OwnedCommand;

constexpr std::string_view kSource = "fuzz-file.gcode";

// The file's lines as a user would count them: split at '\n', a last line without '\n' still a line,
// one trailing '\r' removed from each.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> lines = split_lines(text);

  std::istringstream in(text);
  gcode::Reader reader(in, std::string(kSource));
  gcode::LineScratch scratch;
  std::vector<std::string> ignored_seen;

  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto line_number = static_cast<uint32_t>(i + 1);
    const gcode::ReadStatus status = reader.next();
    FUZZ_CHECK(status != gcode::ReadStatus::kEndOfFile,
               "reader ended at line " + std::to_string(line_number) + " of " + std::to_string(lines.size()));
    FUZZ_CHECK(reader.line_number() == line_number, "reader is at line " + std::to_string(reader.line_number()) +
                                                        ", expected " + std::to_string(line_number));
    std::string_view line = lines[i];
    if (line.size() > gcode::kMaxLineLength) {
      // A `;` comment starting within the limit makes the stored part the line (slicer settings blocks);
      // otherwise the line is an error at a column inside it (a byte that is not text, or its length).
      if (status == gcode::ReadStatus::kError) {
        FUZZ_CHECK(reader.error().line == line_number && reader.error().column >= 1 &&
                       reader.error().column <= line.size() + 1 && !reader.error().message.empty(),
                   reader.error().to_string());
      } else {
        FUZZ_CHECK(gcode::detail::find_line_comment(line.substr(0, gcode::kMaxLineLength)) != std::string_view::npos,
                   "a line too long with no comment within the limit was accepted");
        const gcode::Command& got = reader.command();
        if (got.kind == gcode::CommandKind::kIgnored && got.first_ignored) ignored_seen.push_back(std::string(got.name));
      }
      continue;
    }
    if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);

    gcode::Command alone;
    gcode::ParseError alone_error;
    const bool ok = gcode::parse_line(line, line_number, kSource, scratch, alone, alone_error);
    if (!ok) {
      FUZZ_CHECK(status == gcode::ReadStatus::kError, "reader accepted a line parse_line rejects: " +
                                                          alone_error.to_string());
      rtstep::fuzz::check_error(reader.error(), kSource, line_number, line.size(), reader.command());
      FUZZ_CHECK(reader.error().column == alone_error.column && reader.error().message == alone_error.message,
                 reader.error().to_string() + " | " + alone_error.to_string());
      continue;
    }
    FUZZ_CHECK(status == gcode::ReadStatus::kCommand, "reader rejected a line parse_line accepts: " +
                                                          reader.error().to_string());
    const OwnedCommand got = OwnedCommand::of(reader.command());
    const OwnedCommand want = OwnedCommand::of(alone);
    FUZZ_CHECK(got.line == line_number, "command line " + std::to_string(got.line));
    FUZZ_CHECK(rtstep::fuzz::same_meaning(got, want), describe(got) + " | " + describe(want));

    if (got.kind == gcode::CommandKind::kIgnored) {
      const bool first = std::find(ignored_seen.begin(), ignored_seen.end(), got.name) == ignored_seen.end() &&
                         ignored_seen.size() < gcode::Reader::kMaxIgnoredNames;
      FUZZ_CHECK(reader.command().first_ignored == first, "first_ignored wrong for " + got.name);
      if (first) ignored_seen.push_back(got.name);
    } else {
      FUZZ_CHECK(!reader.command().first_ignored, "first_ignored set on a command that is not ignored");
    }
  }
  FUZZ_CHECK(reader.next() == gcode::ReadStatus::kEndOfFile, "reader found more lines than the file has");
  FUZZ_CHECK(reader.next() == gcode::ReadStatus::kEndOfFile, "reader did not stay at the end of the file");
  FUZZ_CHECK(reader.ignored_names() == ignored_seen, "ignored_names() differs from the names first seen");
  return 0;
}
