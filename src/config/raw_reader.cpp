// Raw layer of the config reader: turns printer.cfg text (and the files it includes) into sections of
// key/value strings that remember the file and line they came from, so that every later error can point
// at the exact line. Nothing here knows what a key means.

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "config/config.hpp"
#include "config/text.hpp"

namespace rtstep::config {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSaveConfigPrefix = "#*#";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";  // Windows editors start UTF-8 files with it

// Bytes that mean the file is not text: controls other than tab and CR, and DEL. Bytes of 0x80 and above are
// allowed (UTF-8 or Latin-1 comments).
bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t' && c != '\r') || byte == 0x7F;
}

std::string hex_byte(char c) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(c);
  return std::string("0x") + kHex[byte >> 4U] + kHex[byte & 0xFU];
}

bool has_glob_chars(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// Sorted matches of a glob pattern (glob(3) sorts), or nothing.
std::vector<std::string> glob_files(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

// Klipper's SAVE_CONFIG block at the end of printer.cfg holds values written by calibration commands
// (position_endstop, PID gains, meshes), each line behind "#*# ". The block starts at a marker line
// naming SAVE_CONFIG and a "do not edit" preamble, which are skipped up to the first section header.
enum class SaveConfig { kNone, kPreamble, kBody };

// Strips the "#*#" prefix of a line in the block; false when the line is to be skipped (plain "#*#"
// comments before the block, the marker, the preamble).
bool unwrap_save_config(std::string_view& line, SaveConfig& state) {
  if (state == SaveConfig::kNone) {
    if (line.find("SAVE_CONFIG") != std::string_view::npos) state = SaveConfig::kPreamble;
    return false;
  }
  line.remove_prefix(kSaveConfigPrefix.size());
  if (line.starts_with(' ')) line.remove_prefix(1);
  if (state == SaveConfig::kPreamble) {
    if (!text::trim(line).starts_with('[')) return false;
    state = SaveConfig::kBody;
  }
  return true;
}

// Reads printer.cfg text line by line into a RawConfig, following includes. One instance per read;
// `chain_` is the stack of files being read, to name an include loop.
class RawReader {
 public:
  // `context` prefixes errors: "" for the top-level file, "file:line: [include spec]: " for an include.
  Status read_file(const std::string& display, const std::string& context);
  Status parse_text(const std::string& text, const std::string& display, bool top_level);
  RawConfig take() { return std::move(config_); }

 private:
  Status parse_line(std::string_view raw_line, const std::string& file, uint32_t line);
  Status parse_header(std::string_view header, const std::string& file, uint32_t line);
  Status parse_key(std::string_view content, const std::string& file, uint32_t line);
  Status include(const std::string& spec, const std::string& file, uint32_t line);
  Error error(const std::string& file, uint32_t line, const std::string& message) const {
    return Error{file + ":" + std::to_string(line) + ": " + message};
  }

  RawConfig config_;
  std::vector<std::pair<std::string, std::string>> chain_;  // (canonical path, display name)
  Section* section_ = nullptr;  // section that key lines go to; none before the first header, after includes
  Value* value_ = nullptr;      // value that indented continuation lines extend
};

Status RawReader::read_file(const std::string& display, const std::string& context) {
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(display, ec).string();
  const auto same = [&](const auto& entry) { return entry.first == canonical; };
  if (std::find_if(chain_.begin(), chain_.end(), same) != chain_.end()) {
    std::string names;
    for (const auto& entry : chain_) names += entry.second + " -> ";
    return Error{context + "include loop: " + names + display};
  }
  std::string problem;
  if (!fs::exists(display, ec))
    problem = "does not exist";
  else if (fs::is_directory(display, ec))
    problem = "is a directory";
  std::ifstream in(display, std::ios::binary);
  if (problem.empty() && !in) problem = std::string("cannot be read: ") + std::strerror(errno);
  if (!problem.empty()) {
    return Error{context + "config file " + text::quote(display) + " " + problem};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  chain_.emplace_back(canonical, display);
  Status status = parse_text(buffer.str(), display, chain_.size() == 1);
  chain_.pop_back();
  return status;
}

Status RawReader::parse_text(const std::string& text, const std::string& display, bool top_level) {
  section_ = nullptr;
  value_ = nullptr;
  SaveConfig save_config = SaveConfig::kNone;
  std::string_view rest = text;
  if (rest.starts_with(kUtf8Bom)) rest.remove_prefix(kUtf8Bom.size());
  for (uint32_t line = 1; !rest.empty(); ++line) {
    const size_t eol = rest.find('\n');
    std::string_view raw = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    if (top_level && raw.starts_with(kSaveConfigPrefix) && !unwrap_save_config(raw, save_config)) continue;
    if (Status s = parse_line(raw, display, line); !s) return s;
  }
  section_ = nullptr;
  value_ = nullptr;
  return Ok{};
}

Status RawReader::parse_line(std::string_view raw_line, const std::string& file, uint32_t line) {
  if (!raw_line.empty() && raw_line.back() == '\r') raw_line.remove_suffix(1);
  // Comments included: a NUL or an escape byte means a binary or damaged file, whatever line it is on.
  if (const auto bad = std::find_if(raw_line.begin(), raw_line.end(), is_control); bad != raw_line.end()) {
    return error(file, line, "unexpected byte " + hex_byte(*bad) + " at column " +
                                 std::to_string(bad - raw_line.begin() + 1) + " (the file is not text, or is damaged)");
  }
  const std::string_view content = text::trim(text::strip_comment(raw_line));
  if (content.empty()) return Ok{};  // blank or comment lines do not end a multi-line value
  const bool indented = raw_line.front() == ' ' || raw_line.front() == '\t';
  if (indented && value_ != nullptr) {
    if (!value_->text.empty()) value_->text += '\n';
    value_->text += content;
    return Ok{};
  }
  if (content.front() == '[') return parse_header(content, file, line);
  return parse_key(content, file, line);
}

Status RawReader::parse_header(std::string_view header, const std::string& file, uint32_t line) {
  if (header.back() != ']')
    return error(file, line, "malformed section header " + text::quote(header) + ": missing ']'");
  const std::string_view inner = text::trim(header.substr(1, header.size() - 2));
  if (inner.empty()) return error(file, line, "empty section name \"[]\"");
  value_ = nullptr;
  const std::string name = text::to_lower(inner);
  if (name == "include" || name.starts_with("include ")) {
    section_ = nullptr;  // keys after an include belong to no section until the next header
    return include(std::string(text::trim(inner.substr(7))), file, line);
  }
  const auto same = [&](const Section& s) { return s.name == name; };
  auto it = std::find_if(config_.sections.begin(), config_.sections.end(), same);
  if (it == config_.sections.end()) {
    config_.sections.push_back(Section{name, file, line, {}});
    it = std::prev(config_.sections.end());
  }
  section_ = &*it;
  return Ok{};
}

Status RawReader::parse_key(std::string_view content, const std::string& file, uint32_t line) {
  if (section_ == nullptr) {
    return error(file, line, text::quote(content) + " is outside any section; put a [section] header above it");
  }
  const std::string where = "[" + section_->name + "] ";
  const size_t sep = content.find_first_of(":=");
  if (sep == std::string_view::npos) {
    return error(file, line, where + text::quote(content) + " is not a \"key: value\" line (no ':' or '=')");
  }
  const std::string key = text::to_lower(text::trim(content.substr(0, sep)));
  if (key.empty()) return error(file, line, where + "missing key name before '" + content[sep] + "'");
  Value& v = section_->values[key];  // a repeated key replaces the earlier one, as in Klipper
  v = Value{std::string(text::trim(content.substr(sep + 1))), file, line};
  value_ = &v;
  return Ok{};
}

Status RawReader::include(const std::string& spec, const std::string& file, uint32_t line) {
  if (spec.empty()) return error(file, line, "[include] needs a file name");
  const std::string where = "[include " + spec + "]: ";
  const std::string pattern = (fs::path(file).parent_path() / spec).lexically_normal().string();
  std::vector<std::string> files;
  if (has_glob_chars(spec)) {
    files = glob_files(pattern);
    if (files.empty()) return error(file, line, where + "no file matches " + text::quote(pattern));
  } else {
    files.push_back(pattern);  // read_file names it if it does not exist
  }
  for (const std::string& f : files) {
    const std::string context = file + ":" + std::to_string(line) + ": " + where;
    if (Status s = read_file(fs::path(f).lexically_normal().string(), context); !s) return s;
  }
  return Ok{};
}

}  // namespace

const Section* RawConfig::find(const std::string& name) const {
  const auto it = std::find_if(sections.begin(), sections.end(), [&](const Section& s) { return s.name == name; });
  return it == sections.end() ? nullptr : &*it;
}

Result<RawConfig> read_raw(const std::string& path) {
  RawReader reader;
  if (Status s = reader.read_file(path, ""); !s) return s.error();
  return reader.take();
}

Result<RawConfig> parse_raw(const std::string& text, const std::string& name) {
  RawReader reader;
  if (Status s = reader.parse_text(text, name, true); !s) return s.error();
  return reader.take();
}

}  // namespace rtstep::config
