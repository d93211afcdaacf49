// Reading [gcode_macro] and [delayed_gcode] sections (definitions.hpp) through the config module's
// SectionReader, so that errors carry the file, line, section and key in the config's own style.

#include "macro/definitions.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <tuple>

#include "config/section_reader.hpp"
#include "config/text.hpp"
#include "macro/literal.hpp"

namespace rtstep::macro {

namespace {

constexpr std::string_view kVariablePrefix = "variable_";

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Words of a section name split on blanks: "gcode_macro print_start" -> {"gcode_macro", "print_start"}.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Rejects keys the section does not have in Klipper, naming the nearest valid one.
void check_keys(config::SectionReader& reader, const std::vector<std::string_view>& valid, bool variables) {
  for (const auto& [key, value] : reader.section().values) {
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    if (variables && key.starts_with(kVariablePrefix) && key.size() > kVariablePrefix.size()) continue;
    std::string_view nearest;
    size_t best = 4;  // suggest only close spellings
    for (const std::string_view v : valid) {
      const size_t d = config::text::edit_distance(key, v);
      if (d < best) best = d, nearest = v;
    }
    std::string message = "unknown key for this section";
    if (!nearest.empty()) message += " (did you mean " + std::string(nearest) + "?)";
    else if (variables) message += " (a macro variable is written variable_" + key + ")";
    reader.fail_value(key, message);
  }
}

// Compiles the template of `key`, or records the error at the key with the template's line and column.
Template compile_key(config::SectionReader& reader, config::ErrorSink& errors, const std::string& key,
                     const std::string& name) {
  const config::Value* v = reader.find(key);
  if (v == nullptr) {
    reader.fail_section("missing required key " + key);
    return {};
  }
  const std::string where = config::location(reader.section(), *v) + key;
  auto compiled = Template::compile(v->text, name, Limits{}, where);
  if (!compiled) {
    errors.add(compiled.error());
    return {};
  }
  return std::move(compiled.value());
}

MacroDefinition read_macro(const config::Section& section, config::ErrorSink& errors) {
  config::SectionReader reader(section, errors);
  MacroDefinition macro;
  macro.section = section.name;
  macro.file = section.file;
  macro.line = section.line;
  const std::vector<std::string> parts = words(section.name);
  if (parts.size() != 2) {
    reader.fail_section(parts.size() < 2 ? "a gcode_macro needs a name: [gcode_macro NAME]"
                                         : "the macro name contains whitespace");
    return macro;
  }
  macro.name = upper(parts[1]);
  check_keys(reader, {"gcode", "description", "rename_existing"}, true);
  if (const config::Value* d = reader.find("description")) macro.description = d->text;
  if (const config::Value* r = reader.find_one_line("rename_existing")) {
    macro.rename_existing = upper(r->text);
    if (is_traditional_gcode(macro.name) != is_traditional_gcode(*macro.rename_existing)) {
      reader.fail_value("rename_existing", "G-Code macro rename of different types ('" + macro.name + "' vs '" +
                                               *macro.rename_existing + "'): both must be like G28, or both like PAUSE");
    }
  }
  // The config keeps keys sorted by name; Klipper keeps them in file order, which a template sees when it
  // iterates over the variables: put them back in the order of their lines.
  std::vector<const std::pair<const std::string, config::Value>*> variables;
  for (const auto& entry : section.values) {
    if (entry.first.starts_with(kVariablePrefix) && entry.first.size() > kVariablePrefix.size()) variables.push_back(&entry);
  }
  std::stable_sort(variables.begin(), variables.end(), [](const auto* a, const auto* b) {
    return std::tie(a->second.file, a->second.line) < std::tie(b->second.file, b->second.line);
  });
  for (const auto* entry : variables) {
    const std::string& key = entry->first;
    const config::Value& value = entry->second;
    reader.find(key);
    auto literal = parse_literal(value.text);
    if (!literal) {
      reader.fail_value(key, "not a valid Python literal: " + literal.error().message +
                                 " (write text in quotes: 'abc'; True, False, None; numbers; [lists]; {dicts})");
      continue;
    }
    macro.variables.dict_data().set(key.substr(kVariablePrefix.size()), std::move(literal.value()));
  }
  macro.gcode = compile_key(reader, errors, "gcode", "gcode_macro " + macro.name);
  return macro;
}

DelayedGcodeDefinition read_delayed(const config::Section& section, config::ErrorSink& errors) {
  config::SectionReader reader(section, errors);
  DelayedGcodeDefinition delayed;
  delayed.section = section.name;
  delayed.file = section.file;
  delayed.line = section.line;
  const std::vector<std::string> parts = words(section.name);
  if (parts.size() != 2) {
    reader.fail_section("a delayed_gcode needs one name: [delayed_gcode NAME]");
    return delayed;
  }
  delayed.name = parts[1];
  check_keys(reader, {"gcode", "initial_duration"}, false);
  delayed.initial_duration = reader.number("initial_duration", config::Range::at_least(0), 0.0);
  delayed.gcode = compile_key(reader, errors, "gcode", "delayed_gcode " + delayed.name);
  return delayed;
}

bool has_prefix_word(const config::Section& section, std::string_view word) {
  return section.name.starts_with(word) &&
         (section.name.size() == word.size() || std::isspace(static_cast<unsigned char>(section.name[word.size()])));
}

}  // namespace

bool is_traditional_gcode(std::string_view command) {
  // As Klipper: the first word, upper-cased, is a letter followed by a number (float(cmd[1:]) works).
  const std::vector<std::string> parts = words(command);
  if (parts.empty()) return false;
  const std::string cmd = upper(parts[0]);
  if (cmd.size() < 2 || !std::isupper(static_cast<unsigned char>(cmd[0])) || !std::isdigit(static_cast<unsigned char>(cmd[1]))) {
    return false;
  }
  double value = 0;
  const auto res = std::from_chars(cmd.data() + 1, cmd.data() + cmd.size(), value);
  return res.ec == std::errc{} && res.ptr == cmd.data() + cmd.size();
}

Result<std::vector<MacroDefinition>> load_macros(const config::RawConfig& raw) {
  config::ErrorSink errors;
  std::vector<MacroDefinition> macros;
  for (const config::Section& section : raw.sections) {
    if (!has_prefix_word(section, "gcode_macro")) continue;
    macros.push_back(read_macro(section, errors));
    if (errors.failed()) return errors.first();
  }
  return macros;
}

Result<std::vector<DelayedGcodeDefinition>> load_delayed_gcodes(const config::RawConfig& raw) {
  config::ErrorSink errors;
  std::vector<DelayedGcodeDefinition> delayed;
  for (const config::Section& section : raw.sections) {
    if (!has_prefix_word(section, "delayed_gcode")) continue;
    delayed.push_back(read_delayed(section, errors));
    if (errors.failed()) return errors.first();
  }
  return delayed;
}

}  // namespace rtstep::macro
