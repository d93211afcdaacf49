#pragma once
// halcmd's line handling: `\` continuation, `#` comments, quotes, $ENV and [SECTION]KEY substitution,
// and an INI file reader for the latter. Non-real-time.

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace rtstep::hal {

// A LinuxCNC-style INI file: [SECTION] headers, KEY = VALUE lines, '#' and ';' comments. The first value of
// a key in a section wins (as LinuxCNC's iniFind).
class IniFile {
 public:
  static Result<IniFile> load(const std::string& path);
  static Result<IniFile> parse(std::string_view text, const std::string& source_name);
  // An empty section searches every section.
  std::optional<std::string> find(std::string_view section, std::string_view key) const;
  const std::string& path() const noexcept { return path_; }

 private:
  struct Entry {
    std::string section, key, value;
  };
  std::string path_;
  std::vector<Entry> entries_;
};

// One logical line of a .hal file: its text after continuation, and the physical line it ends on (the one
// halcmd names in its messages).
struct SourceLine {
  std::string text;
  int line = 0;
};

// Splits a stream into logical lines: a trailing `\` joins the next line with no space (halcmd -f).
std::vector<SourceLine> read_logical_lines(std::istream& in);

// Removes a '#' comment outside quotes; "unterminated quoted string" when a quote is left open.
Result<std::string> strip_comment(std::string_view line);

// Strips the comment, substitutes variables and splits into tokens; quotes group text and are removed.
// Errors, with halcmd's texts: "unterminated quoted string", "Environment variable 'X' not found.", "Ini
// variable '[S]K' not found." (also without an INI file), "Missing close parenthesis.", "Empty variable
// name.", "Missing close square bracket.".
// `ini` may be null. `getenv` is injectable for tests (nullptr = the process environment).
using EnvLookup = std::optional<std::string> (*)(const std::string& name);
Result<std::vector<std::string>> tokenize(std::string_view line, const IniFile* ini, EnvLookup getenv = nullptr);

}  // namespace rtstep::hal
