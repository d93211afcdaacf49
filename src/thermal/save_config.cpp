// SAVE_CONFIG's auto-save block (see save_config.hpp).

#include "thermal/save_config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <utility>

namespace rtstep::thermal {

namespace {

constexpr const char* kHeader =
    "\n#*# <---------------------- SAVE_CONFIG ---------------------->\n"
    "#*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.\n"
    "#*#\n";

// Sections and options in order, as Python's ConfigParser keeps and writes them.
struct SavedSection {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;
  void set(const std::string& key, const std::string& value) {
    for (auto& kv : options) {
      if (kv.first == key) {
        kv.second = value;
        return;
      }
    }
    options.emplace_back(key, value);
  }
  bool has(const std::string& key) const {
    return std::any_of(options.begin(), options.end(), [&](const auto& kv) { return kv.first == key; });
  }
};
using Saved = std::vector<SavedSection>;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Python's str.strip(): every kind of blank, newlines included.
std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (true) {
    const size_t nl = s.find('\n', begin);
    out.push_back(s.substr(begin, nl - begin));
    if (nl == std::string::npos) return out;
    begin = nl + 1;
  }
}

SavedSection* find_section(Saved& saved, const std::string& name) {
  for (auto& s : saved) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Splits `text` at the header into the regular part and the block's lines without their "#*# " prefix.
// nullopt: corrupt (a "#*# " line above the header, a second header, or foreign lines in the block).
std::optional<std::pair<std::string, std::vector<std::string>>> split_autosave(const std::string& text) {
  const size_t pos = text.find(kHeader);
  if (pos == std::string::npos) {
    if (text.find("\n#*# ") != std::string::npos) return std::nullopt;
    return std::make_pair(text, std::vector<std::string>{});
  }
  std::string regular = text.substr(0, pos);
  const std::string block = trim(text.substr(pos + std::string(kHeader).size()));
  if (regular.find("\n#*# ") != std::string::npos || block.find(kHeader) != std::string::npos) return std::nullopt;
  std::vector<std::string> lines;
  if (block.empty()) return std::make_pair(regular, lines);
  for (const std::string& line : split_lines(block)) {
    const bool ok = line.rfind("#*#", 0) == 0 && (line.size() < 4 || line.rfind("#*# ", 0) == 0);
    if (!ok) return std::nullopt;
    lines.push_back(line.size() >= 4 ? line.substr(4) : "");
  }
  return std::make_pair(regular, lines);
}

Saved parse_block(const std::vector<std::string>& lines) {
  Saved saved;
  SavedSection* current = nullptr;
  for (const std::string& raw : lines) {
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      const std::string name = trim(line.substr(1, line.size() - 2));
      current = find_section(saved, name);
      if (current == nullptr) current = &saved.emplace_back(SavedSection{name, {}});
      continue;
    }
    const size_t sep = line.find_first_of(":=");
    if (current == nullptr || sep == std::string::npos) continue;
    current->set(lower(trim(line.substr(0, sep))), trim(line.substr(sep + 1)));
  }
  return saved;
}

// Klipper's _strip_duplicates: comment out keys (and their continuation lines) that the block sets.
std::string comment_duplicates(const std::string& regular, Saved& saved) {
  std::vector<std::string> lines = split_lines(regular);
  SavedSection* section = nullptr;
  bool in_dup = false;
  for (std::string& line : lines) {
    std::string pruned = line.substr(0, line.find_first_of("#;"));
    pruned.erase(pruned.find_last_not_of(" \t\r") + 1);
    if (pruned.empty()) continue;
    if (std::isspace(static_cast<unsigned char>(pruned[0]))) {
      if (in_dup) line = "#" + line;
      continue;
    }
    in_dup = false;
    if (pruned[0] == '[') {
      section = find_section(saved, trim(pruned.substr(1, pruned.size() - 2)));
      continue;
    }
    const size_t end = pruned.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (section != nullptr && section->has(lower(pruned.substr(0, end)))) {
      in_dup = true;
      line = "#" + line;
    }
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

std::string render_block(const Saved& saved) {
  std::string out = "\n";
  out += std::string(kHeader).substr(0, std::string(kHeader).size() - 1);  // header without its last '\n'
  for (size_t i = 0; i < saved.size(); ++i) {
    if (i > 0) out += "\n#*#";
    out += "\n#*# [" + saved[i].name + "]";
    for (const auto& [k, v] : saved[i].options) out += "\n#*# " + k + " = " + v;
  }
  return out + "\n";
}

}  // namespace

Result<std::string> save_config_update(const std::string& text, const std::vector<SaveConfigEntry>& entries) {
  const auto parts = split_autosave(text);
  if (!parts) return Error{"Existing config autosave is corrupted. Can't complete SAVE_CONFIG"};
  Saved saved = parse_block(parts->second);
  for (const auto& e : entries) {
    SavedSection* s = find_section(saved, e.section);
    if (s == nullptr) s = &saved.emplace_back(SavedSection{e.section, {}});
    s->set(lower(e.key), e.value);
  }
  std::string regular = comment_duplicates(parts->first, saved);
  regular.erase(regular.find_last_not_of(" \t\r\n") + 1);
  return regular + render_block(saved);
}

std::vector<SaveConfigEntry> pid_save_entries(const std::string& heater_section, double kp, double ki, double kd) {
  auto fmt = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return std::string(buf);
  };
  return {{heater_section, "control", "pid"},
          {heater_section, "pid_Kp", fmt(kp)},
          {heater_section, "pid_Ki", fmt(ki)},
          {heater_section, "pid_Kd", fmt(kd)}};
}

}  // namespace rtstep::thermal
