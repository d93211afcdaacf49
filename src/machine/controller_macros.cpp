// Klipper's macros in the controller: [gcode_macro] (with rename_existing), [delayed_gcode], the
// [idle_timeout] gcode, SET_GCODE_VARIABLE, UPDATE_DELAYED_GCODE and SAVE/RESTORE_GCODE_STATE. The
// template language itself is macro::; this file gives it the printer objects and runs what it renders.
#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "config/section_reader.hpp"
#include "config/text.hpp"
#include "machine/controller_impl.hpp"
#include "util/clock.hpp"

namespace rtstep::machine {

std::map<std::string, std::string> own_command_help();    // controller_commands.cpp
bool is_builtin_command(const std::string& name);          // controller_commands.cpp
std::string restore_script(const SavedState& saved, std::optional<double> move_speed);  // controller_commands.cpp

namespace {

using Json = nlohmann::json;

// Klipper's default [idle_timeout] gcode: heaters off (when there are any), motors released.
constexpr const char* kDefaultIdleGcode = "TURN_OFF_HEATERS\nM84";

using config::text::to_lower;
using config::text::to_upper;

// The command a line calls, upper-cased, as Klipper reads it: "print_start BED=60" -> "PRINT_START",
// "G28X" -> "G28", "N12 M600" -> "M600". Empty for a blank or comment line.
std::pair<std::string, std::size_t> command_word(std::string_view text) {
  std::size_t pos = text.find_first_not_of(" \t");
  if (pos == std::string_view::npos) return {};
  if ((text[pos] == 'N' || text[pos] == 'n') && pos + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[pos + 1]))) {
    pos = text.find_first_not_of("0123456789", pos + 1);
    pos = pos == std::string_view::npos ? text.size() : text.find_first_not_of(" \t", pos);
    if (pos == std::string_view::npos) return {};
  }
  std::size_t end = pos;
  const bool traditional = std::isalpha(static_cast<unsigned char>(text[pos])) && pos + 1 < text.size() &&
                           std::isdigit(static_cast<unsigned char>(text[pos + 1]));
  if (traditional) {
    end = pos + 1;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
  } else {
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != ';' && text[end] != '\r') ++end;
  }
  return {to_upper(text.substr(pos, end - pos)), end};
}

macro::Value to_value(const Json& json) {
  switch (json.type()) {
    case Json::value_t::null: return macro::Value::none();
    case Json::value_t::boolean: return macro::Value::boolean(json.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return macro::Value::integer(json.get<int64_t>());
    case Json::value_t::number_float: return macro::Value::real(json.get<double>());
    case Json::value_t::string: return macro::Value::string(json.get<std::string>());
    case Json::value_t::array: {
      std::vector<macro::Value> items;
      items.reserve(json.size());
      for (const Json& item : json) items.push_back(to_value(item));
      return macro::Value::list(std::move(items));
    }
    case Json::value_t::object: {
      macro::Value dict = macro::Value::dict();
      for (auto it = json.begin(); it != json.end(); ++it) dict.dict_data().set(it.key(), to_value(it.value()));
      return dict;
    }
    default: return macro::Value::none();
  }
}

}  // namespace

// A macro variable for the front ends (gcode_macro objects, action_call_remote_method arguments). Values
// JSON cannot hold (a float NaN, a callable) become their Python text, as Klipper's JSON encoder would fail.
Json macro_json(const macro::Value& value) {
  using Kind = macro::Value::Kind;
  switch (value.kind()) {
    case Kind::kNone: case Kind::kUndefined: return nullptr;
    case Kind::kBool: return value.as_bool();
    case Kind::kInt: return value.as_int();
    case Kind::kFloat: return std::isfinite(value.as_double()) ? Json(value.as_double()) : Json(value.str());
    case Kind::kString: return value.text();
    case Kind::kList: {
      Json out = Json::array();
      for (const macro::Value& item : value.list_data().items) out.push_back(macro_json(item));
      return out;
    }
    case Kind::kDict: {
      Json out = Json::object();
      for (const auto& [key, item] : value.dict_data().entries) out[key.is_string() ? key.text() : key.str()] = macro_json(item);
      return out;
    }
    default: return value.str();
  }
}

Status Controller::Impl::load_macros() {
  macros = Macros{};
  auto definitions = macro::load_macros(raw);
  if (!definitions) return definitions.error();
  const auto where = [](const macro::MacroDefinition& d) { return fmt::format("{}:{}: [{}]", d.file, d.line, d.section); };
  for (macro::MacroDefinition& definition : *definitions) {
    const std::string name = definition.name;
    if (macros.by_name.count(name) || macros.renamed.count(name)) {
      return Error{fmt::format("{}: gcode command {} already registered", where(definition), name)};
    }
    if (definition.rename_existing) {
      const std::string& renamed = *definition.rename_existing;
      if (!is_builtin_command(name)) {
        return Error{fmt::format("{}: existing command '{}' not found in gcode_macro rename", where(definition), name)};
      }
      if (is_builtin_command(renamed) || macros.by_name.count(renamed) || macros.renamed.count(renamed)) {
        return Error{fmt::format("{}: rename_existing: gcode command {} already registered", where(definition), renamed)};
      }
      macros.renamed[renamed] = name;
    } else if (is_builtin_command(name)) {
      return Error{fmt::format("{}: {} is a built-in command: add rename_existing (e.g. rename_existing: BASE_{}) "
                               "to replace it and keep it callable",
                               where(definition), name, name)};
    }
    macro::Value variables = definition.variables.deep_copy();
    macros.by_name.emplace(name, MacroState{std::move(definition), std::move(variables)});
  }
  auto delayed = macro::load_delayed_gcodes(raw);
  if (!delayed) return delayed.error();
  const int64_t now = monotonic_ns();
  for (macro::DelayedGcodeDefinition& definition : *delayed) {
    const int64_t due = definition.initial_duration > 0 ? now + static_cast<int64_t>(definition.initial_duration * 1e9) : 0;
    macros.delayed.push_back({std::move(definition), due});
  }
  if (const config::Section* section = raw.find("idle_timeout")) {
    if (const auto it = section->values.find("gcode"); it != section->values.end()) {
      auto compiled = macro::Template::compile(it->second.text, "idle_timeout gcode", {},
                                               config::location(*section, it->second) + "gcode");
      if (!compiled) return compiled.error();
      macros.idle_gcode = std::move(*compiled);
    }
  }
  return Ok{};
}

std::optional<LineOutcome> Controller::Impl::run_macro_line(std::string_view text, uint32_t number,
                                                             const std::string& source) {
  const auto [word, word_end] = command_word(text);
  if (word.empty()) return std::nullopt;
  if (const auto renamed = macros.renamed.find(word); renamed != macros.renamed.end()) {
    // BASE_G28 X Y -> the built-in G28 X Y, which the G28 macro does not take over.
    const std::string line = renamed->second + std::string(text.substr(word_end));
    return run_line(line, number, source, true);
  }
  const auto found = macros.by_name.find(word);
  if (found == macros.by_name.end()) return std::nullopt;
  if (state != "ready") return LineOutcome{Error{state_message}, ""};
  if (std::find(macros.running.begin(), macros.running.end(), word) != macros.running.end()) {
    return LineOutcome{Error{fmt::format("Macro {} called recursively", word)}, ""};
  }
  auto call = macro::parse_call(text);
  if (!call) return LineOutcome{Error{fmt::format("{}: {}", word, call.error().message)}, ""};
  // Copies: the macro may run RESTART, which reloads every macro.
  const macro::MacroDefinition definition = found->second.definition;
  const macro::Value variables = found->second.variables;
  macros.running.push_back(word);
  auto rendered = macro::run_macro(definition, variables, *call, printer_value(), macro_actions());
  Status ran = rendered ? run_rendered(word, rendered->lines, definition.section) : Status{rendered.error()};
  if (!macros.running.empty()) macros.running.pop_back();
  return LineOutcome{std::move(ran), ""};
}

Status Controller::Impl::run_rendered(const std::string& what, const std::vector<std::string>& lines,
                                      const std::string& source) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    LineOutcome line = run_line(lines[i], static_cast<uint32_t>(i + 1), source);
    if (!line.status) return line.status;
    if (!line.ack.empty()) respond(line.ack);
    if (state != "ready") return Error{fmt::format("{} interrupted: {}", what, state_message)};
  }
  return Ok{};
}

std::optional<LineOutcome> Controller::Impl::run_macro_command(std::string_view name, std::string_view text) {
  if (name != "SET_GCODE_VARIABLE" && name != "UPDATE_DELAYED_GCODE" && name != "SAVE_GCODE_STATE" &&
      name != "RESTORE_GCODE_STATE") {
    return std::nullopt;
  }
  const auto fail = [](std::string message) { return LineOutcome{Error{std::move(message)}, ""}; };
  auto call = macro::parse_call(text);
  if (!call) return fail(call.error().message);
  const auto param = [&](const char* key) -> std::optional<std::string> {
    const macro::Value* value = call->params.dict_data().find(std::string_view(key));
    return value ? std::optional<std::string>(value->text()) : std::nullopt;
  };
  const auto missing = [&](const char* key) { return fail(fmt::format("Error on '{}': missing {}", text, key)); };
  const auto number = [&](const char* key, double fallback) -> Result<double> {
    const std::optional<std::string> given = param(key);
    if (!given) return fallback;
    char* end = nullptr;
    const double value = std::strtod(given->c_str(), &end);
    if (given->empty() || *end != '\0' || !std::isfinite(value)) {
      return Error{fmt::format("Error on '{}': unable to parse '{}' as a number", text, *given)};
    }
    return value;
  };

  if (name == "SET_GCODE_VARIABLE") {
    const auto macro_name = param("MACRO");
    const auto variable = param("VARIABLE");
    const auto value = param("VALUE");
    if (!macro_name) return missing("MACRO");
    if (!variable) return missing("VARIABLE");
    if (!value) return missing("VALUE");
    const auto found = macros.by_name.find(to_upper(*macro_name));
    if (found == macros.by_name.end()) return fail(fmt::format("The value '{}' is not valid for MACRO", *macro_name));
    if (auto set = macro::set_gcode_variable(found->second.variables, to_lower(*variable), *value); !set) {
      return fail(set.error().message);
    }
    return LineOutcome{};
  }
  if (name == "UPDATE_DELAYED_GCODE") {
    const auto id = param("ID");
    if (!id) return missing("ID");
    auto duration = number("DURATION", -1);
    if (!duration) return fail(duration.error().message);
    if (*duration < 0) return missing("DURATION");
    for (DelayedGcode& delayed : macros.delayed) {
      if (delayed.definition.name != to_lower(*id)) continue;
      delayed.due_ns = *duration > 0 ? monotonic_ns() + static_cast<int64_t>(*duration * 1e9) : 0;
      return LineOutcome{};
    }
    return fail(fmt::format("The value '{}' is not valid for ID", *id));
  }
  if (!motion) return fail(state_message);
  const std::string state_name = param("NAME").value_or("default");
  if (name == "SAVE_GCODE_STATE") {
    const motion::ToolheadState now = motion->toolhead().state();
    saved_states[state_name] = SavedState{now.gcode_position, now.relative, now.relative_e, now.feed_rate};
    return LineOutcome{};
  }
  const auto saved = saved_states.find(state_name);
  if (saved == saved_states.end()) return fail(fmt::format("Unknown g-code state: {}", state_name));
  auto move = number("MOVE", 0);
  auto speed = number("MOVE_SPEED", saved->second.feed_rate);
  if (!move || !speed) return fail((!move ? move : speed).error().message);
  if (*move != 0 && !(*speed > 0)) return fail(fmt::format("Error on '{}': MOVE_SPEED must be above 0", text));
  const ScriptOutcome restored = run_script(restore_script(saved->second, *move != 0 ? std::optional<double>(*speed) : std::nullopt));
  return restored.ok ? LineOutcome{} : fail(restored.error);
}

void Controller::Impl::post_due_delayed_gcode(int64_t now) {
  for (DelayedGcode& delayed : macros.delayed) {
    if (delayed.due_ns == 0 || delayed.due_ns > now) continue;
    delayed.due_ns = 0;
    // As a console command: it runs after the command running now, never inside it.
    std::lock_guard lock(mu);
    commands.emplace_back([this, tmpl = delayed.definition.gcode, source = delayed.definition.section] {
      if (state != "ready") return;
      auto rendered = macro::run_template(tmpl, macro::base_context(printer_value(), macro_actions()));
      Status ran = rendered ? run_rendered(source, rendered->lines, source) : Status{rendered.error()};
      if (!ran) respond("!! " + ran.error().message);
    });
  }
}

void Controller::Impl::run_idle_gcode() {
  Status ran = Ok{};
  if (macros.idle_gcode) {
    auto rendered = macro::run_template(*macros.idle_gcode, macro::base_context(printer_value(), macro_actions()));
    ran = rendered ? run_rendered("idle_timeout gcode", rendered->lines, "idle_timeout") : Status{rendered.error()};
  } else {
    const ScriptOutcome outcome = run_script(kDefaultIdleGcode);
    if (!outcome.ok) ran = Error{outcome.error};
  }
  if (ran) return;
  // A heater must not stay on because the user's idle gcode failed.
  respond("!! " + ran.error().message);
  if (thermal) thermal->system().turn_off_all();
  note("rtstep serve: idle timeout gcode failed (" + ran.error().message + "): heaters turned off");
}

macro::Value Controller::Impl::printer_value() {
  StatusRequest everything;
  for (const std::string& object : names_of_objects()) {
    if (object.rfind("gcode_macro ", 0) != 0 && object != "configfile") everything[object] = std::nullopt;
  }
  macro::Value printer = to_value(status(everything));
  if (!macros.configfile) macros.configfile = to_value(status({{"configfile", std::nullopt}})["configfile"]);
  printer.dict_data().set("configfile", *macros.configfile);
  // The macros' own variables, shared as in Klipper (a template sees the values, not a copy of text).
  for (const auto& [name, macro_state] : macros.by_name) {
    printer.dict_data().set("gcode_macro " + name, macro_state.variables);
    if (macro_state.definition.section != "gcode_macro " + name) {
      printer.dict_data().set(macro_state.definition.section, macro_state.variables);
    }
  }
  return printer;
}

macro::Actions Controller::Impl::macro_actions() {
  macro::Actions actions;
  actions.respond_info = [this](const std::string& message) {
    std::size_t start = 0;
    for (;;) {
      const std::size_t eol = message.find('\n', start);
      respond("// " + message.substr(start, eol - start));
      if (eol == std::string::npos) break;
      start = eol + 1;
    }
  };
  actions.emergency_stop = [this](const std::string& message) { enter_shutdown("Shutdown due to " + message); };
  actions.call_remote_method = [this](const std::string& method, const macro::Value& arguments) {
    const auto found = remote_methods.find(method);
    if (found == remote_methods.end()) {
      respond(fmt::format("!! Remote method '{}' not registered", method));
      return;
    }
    found->second.second(macro_json(arguments));
  };
  return actions;
}

std::optional<Json> Controller::Impl::macro_status(const std::string& object_name) const {
  if (object_name.rfind("gcode_macro ", 0) != 0) return std::nullopt;
  const auto found = macros.by_name.find(to_upper(object_name.substr(12)));
  if (found == macros.by_name.end()) return std::nullopt;
  return macro_json(found->second.variables);
}

std::vector<std::pair<std::string, std::string>> Controller::Impl::macro_help() const {
  std::vector<std::pair<std::string, std::string>> help;
  for (const auto& [name, macro_state] : macros.by_name) help.emplace_back(name, macro_state.definition.description);
  for (const auto& [renamed, original] : macros.renamed) {
    help.emplace_back(renamed, fmt::format("Renamed builtin of '{}'", original));
  }
  return help;
}

}  // namespace rtstep::machine
