// halcmd's lexer and the INI reader (see lexer.hpp).
#include "hal/lexer.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rtstep::hal {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

bool is_var_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

}  // namespace

Result<std::string> strip_comment(std::string_view line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return std::string(line.substr(0, i));
    }
  }
  if (quote != 0) return Error{"unterminated quoted string"};
  return std::string(line);
}

namespace {

// Reads a name after '$' or ']': "(NAME)" or a run of name characters. Returns the length consumed, or
// halcmd's message for a "(" without ")" or an empty name.
Result<std::size_t> read_name(std::string_view s, std::size_t pos, std::string& name) {
  if (pos < s.size() && s[pos] == '(') {
    const std::size_t close = s.find(')', pos);
    if (close == std::string_view::npos) return Error{"Missing close parenthesis."};
    name = std::string(s.substr(pos + 1, close - pos - 1));
    if (name.empty()) return Error{"Empty variable name."};
    return close - pos + 1;
  }
  std::size_t end = pos;
  while (end < s.size() && is_var_char(s[end])) ++end;
  name = std::string(s.substr(pos, end - pos));
  if (name.empty()) return Error{"Empty variable name."};
  return end - pos;
}

Result<std::string> substitute(std::string_view s, const IniFile* ini, EnvLookup getenv) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '$') {
      std::string name;
      const auto n = read_name(s, i + 1, name);
      if (!n) return n.error();
      auto v = getenv(name);
      if (!v) return Error{"Environment variable '" + name + "' not found."};
      out += *v;
      i += 1 + *n;
    } else if (c == '[') {
      const std::size_t close = s.find(']', i);
      if (close == std::string_view::npos) return Error{"Missing close square bracket."};
      const std::string section(s.substr(i + 1, close - i - 1));
      std::string key;
      const auto n = read_name(s, close + 1, key);
      if (!n) return n.error();
      // Without -i FILE.ini every INI reference is missing, as in halcmd.
      auto v = ini != nullptr ? ini->find(section, key) : std::nullopt;
      if (!v) return Error{"Ini variable '[" + section + "]" + key + "' not found."};
      out += *v;
      i = close + 1 + *n;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace

Result<IniFile> IniFile::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{path + ": cannot open INI file"};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Result<IniFile> IniFile::parse(std::string_view text, const std::string& source_name) {
  IniFile ini;
  ini.path_ = source_name;
  std::string section;
  int line_no = 0;
  std::istringstream in{std::string(text)};
  for (std::string raw; std::getline(in, raw);) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string_view::npos) {
        return Error{source_name + ":" + std::to_string(line_no) + ": error: section header without ']'"};
      }
      section = std::string(line.substr(1, close - 1));
      continue;
    }
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Error{source_name + ":" + std::to_string(line_no) + ": error: expected KEY = VALUE"};
    }
    std::string_view value = trim(line.substr(eq + 1));
    if (const std::size_t hash = value.find('#'); hash != std::string_view::npos) value = trim(value.substr(0, hash));
    ini.entries_.push_back({section, std::string(trim(line.substr(0, eq))), std::string(value)});
  }
  return ini;
}

std::optional<std::string> IniFile::find(std::string_view section, std::string_view key) const {
  for (const auto& e : entries_) {
    if ((section.empty() || e.section == section) && e.key == key) return e.value;
  }
  return std::nullopt;
}

std::vector<SourceLine> read_logical_lines(std::istream& in) {
  std::vector<SourceLine> lines;
  std::string pending;
  bool started = false;  // a continued line is pending
  int line_no = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    started = true;
    if (!raw.empty() && raw.back() == '\\') {
      raw.pop_back();
      pending += raw;
      continue;
    }
    pending += raw;
    lines.push_back({std::move(pending), line_no});
    pending.clear();
    started = false;
  }
  if (started) lines.push_back({std::move(pending), line_no});
  return lines;
}

Result<std::vector<std::string>> tokenize(std::string_view line, const IniFile* ini, EnvLookup getenv) {
  auto stripped = strip_comment(line);
  if (!stripped) return stripped.error();
  auto text = substitute(*stripped, ini, getenv != nullptr ? getenv : &process_env);
  if (!text) return text.error();
  std::vector<std::string> tokens;
  std::string current;
  bool in_token = false;
  char quote = 0;
  for (const char c : *text) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        current += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_token = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_token) tokens.push_back(std::move(current));
      current.clear();
      in_token = false;
    } else {
      current += c;
      in_token = true;
    }
  }
  if (quote != 0) return Error{"unterminated quoted string"};
  if (in_token) tokens.push_back(std::move(current));
  return tokens;
}

}  // namespace rtstep::hal
