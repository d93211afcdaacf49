// Klipper's optional sections that change what G-code does, run by the controller: [safe_z_home] and
// [homing_override] (G28), [firmware_retraction] (G10/G11, SET_RETRACTION, GET_RETRACTION), [save_variables]
// (SAVE_VARIABLE, printer.save_variables) and [exclude_object] (EXCLUDE_OBJECT_DEFINE/START/END,
// EXCLUDE_OBJECT: the moves of an excluded object are skipped, travel between objects kept).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "config/section_reader.hpp"
#include "config/text.hpp"
#include "machine/controller_impl.hpp"
#include "macro/literal.hpp"

namespace rtstep::machine {
namespace {

using Json = nlohmann::json;

// Reads Klipper's save_variables file: "[Variables]" then "name = python literal" lines.
Result<macro::Value> read_variables(const std::string& path) {
  macro::Value variables = macro::Value::dict();
  std::ifstream in(path);
  if (!in) return variables;  // not written yet
  std::string line;
  for (uint32_t number = 1; std::getline(in, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '[' || line[first] == '#' || line[first] == ';') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) return Error{fmt::format("{}:{}: expected 'name = value'", path, number)};
    std::string name = line.substr(first, eq - first);
    name.erase(name.find_last_not_of(" \t") + 1);
    auto value = macro::parse_literal(line.substr(eq + 1));
    if (!value) return Error{fmt::format("{}:{}: {}: {}", path, number, name, value.error().message)};
    variables.dict_data().set(name, *value);
  }
  return variables;
}

Status write_variables(const std::string& path, const macro::Value& variables) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& [key, value] : variables.dict_data().entries) lines.emplace_back(key.text(), value.repr());
  std::sort(lines.begin(), lines.end());
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << "[Variables]\n";
    for (const auto& [key, text] : lines) out << key << " = " << text << "\n";
    if (!out.flush()) return Error{fmt::format("Unable to save variable: cannot write {}", temporary)};
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return Error{fmt::format("Unable to save variable: cannot replace {}", path)};
  }
  return Ok{};
}

}  // namespace

Status Controller::Impl::load_extras() {
  extras = Extras{};
  config::ErrorSink errors;
  if (const config::Section* section = raw.find("safe_z_home")) {
    config::SectionReader r(*section, errors);
    Extras::SafeZHome home;
    if (const config::Value* xy = r.find_one_line("home_xy_position")) {
      char* end = nullptr;
      home.x = std::strtod(xy->text.c_str(), &end);
      const bool comma = *end == ',';
      const char* rest = comma ? end + 1 : end;
      home.y = std::strtod(rest, &end);
      while (*end == ' ') ++end;
      if (!comma || *end != '\0' || !std::isfinite(home.x) || !std::isfinite(home.y)) {
        r.fail_expected("home_xy_position", "two numbers: x, y");
      }
    } else {
      r.fail_section("missing required key home_xy_position");
    }
    home.speed = r.number("speed", config::Range::positive(), 50.0);
    home.z_hop = r.number("z_hop", config::Range::at_least(0), 0.0);
    home.z_hop_speed = r.number("z_hop_speed", config::Range::positive(), 15.0);
    home.move_to_previous = r.boolean("move_to_previous", false);
    extras.safe_z_home = home;
  }
  if (const config::Section* section = raw.find("homing_override")) {
    if (extras.safe_z_home) return Error{fmt::format("{}:{}: [homing_override] and [safe_z_home] cannot be used together",
                                                     section->file, section->line)};
    config::SectionReader r(*section, errors);
    Extras::HomingOverride override_;
    if (const config::Value* axes = r.find_one_line("axes")) override_.axes = axes->text;
    for (char& c : override_.axes) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (const config::Value* gcode = r.find("gcode")) {
      auto compiled = macro::Template::compile(gcode->text, "homing_override gcode", {},
                                               config::location(*section, *gcode) + "gcode");
      if (!compiled) return compiled.error();
      override_.gcode = std::move(*compiled);
    } else {
      r.fail_section("missing required key gcode");
    }
    extras.homing_override = std::move(override_);
  }
  if (const config::Section* section = raw.find("firmware_retraction")) {
    config::SectionReader r(*section, errors);
    Extras::Retraction retraction;
    retraction.retract_length = r.number("retract_length", config::Range::at_least(0), 0.0);
    retraction.retract_speed = r.number("retract_speed", config::Range::positive(), 20.0);
    retraction.unretract_extra_length = r.number("unretract_extra_length", config::Range::at_least(0), 0.0);
    retraction.unretract_speed = r.number("unretract_speed", config::Range::positive(), 10.0);
    extras.retraction = retraction;
  }
  if (const config::Section* section = raw.find("save_variables")) {
    config::SectionReader r(*section, errors);
    if (const config::Value* filename = r.find_one_line("filename")) extras.variables_file = filename->text;
    else r.fail_section("missing required key filename");
    if (!extras.variables_file.empty() && extras.variables_file[0] == '~') {
      const char* home = std::getenv("HOME");
      extras.variables_file = std::string(home != nullptr ? home : "") + extras.variables_file.substr(1);
    }
  }
  extras.exclude_object = raw.find("exclude_object") != nullptr;
  if (errors.failed()) return errors.first();
  if (!extras.variables_file.empty()) {
    auto variables = read_variables(extras.variables_file);
    if (!variables) return variables.error();
    extras.saved_variables = std::move(*variables);
  }
  return Ok{};
}

std::optional<LineOutcome> Controller::Impl::run_extra_command(std::string_view name, std::string_view text,
                                                               const gcode::Command& cmd) {
  const auto fail = [](std::string message) { return LineOutcome{Error{std::move(message)}, ""}; };
  const auto from = [](Status status) { return LineOutcome{std::move(status), ""}; };
  if (name == "G28" && extras.homing_depth == 0 && (extras.safe_z_home || extras.homing_override)) {
    ++extras.homing_depth;
    Status homed = extras.homing_override ? run_homing_override(text, cmd) : run_safe_z_home(cmd);
    --extras.homing_depth;
    return from(std::move(homed));
  }
  if ((name == "G10" || name == "G11" || name == "SET_RETRACTION" || name == "GET_RETRACTION") && extras.retraction) {
    return from(run_retraction(name, text));
  }
  if (name == "SAVE_VARIABLE" && !extras.variables_file.empty()) {
    auto call = macro::parse_call(text);
    if (!call) return fail(call.error().message);
    const macro::Value* variable = call->params.dict_data().find(std::string_view("VARIABLE"));
    const macro::Value* value = call->params.dict_data().find(std::string_view("VALUE"));
    if (variable == nullptr) return fail("Error on 'SAVE_VARIABLE': missing VARIABLE");
    if (value == nullptr) return fail("Error on 'SAVE_VARIABLE': missing VALUE");
    const std::string& key = variable->text();
    if (std::any_of(key.begin(), key.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; })) {
      return fail("VARIABLE must not contain upper case");
    }
    auto parsed = macro::parse_literal(value->text());
    if (!parsed) return fail(fmt::format("Unable to parse '{}' as a literal: {}", value->text(), parsed.error().message));
    // A new dict, so that a template holding the old one does not see it change under it.
    macro::Value updated = extras.saved_variables.deep_copy();
    updated.dict_data().set(key, *parsed);
    if (auto written = write_variables(extras.variables_file, updated); !written) return from(written);
    extras.saved_variables = std::move(updated);
    return LineOutcome{};
  }
  if (name.rfind("EXCLUDE_OBJECT", 0) == 0 && extras.exclude_object) return from(run_exclude_object(name, text));
  return std::nullopt;
}

Status Controller::Impl::run_safe_z_home(const gcode::Command& cmd) {
  const Extras::SafeZHome& home = *extras.safe_z_home;
  const bool none = !cmd.has('X') && !cmd.has('Y') && !cmd.has('Z');
  const bool want_x = none || cmd.has('X'), want_y = none || cmd.has('Y'), want_z = none || cmd.has('Z');
  const motion::ToolheadState before = motion->toolhead().state();
  std::string script;
  // Lift first when Z is known (an unhomed Z cannot move: rtstep does not assume a position for it).
  if (home.z_hop > 0 && before.homed[2] && before.position[2] < home.z_hop) {
    script += fmt::format("G90\nG1 Z{:.6f} F{:.3f}\n", home.z_hop, home.z_hop_speed * 60);
  }
  if (want_x || want_y) script += fmt::format("G28{}{}\n", want_x ? " X" : "", want_y ? " Y" : "");
  if (auto first = run_script_lines(script, "safe_z_home"); !first) return first;
  if (!want_z) return Ok{};
  const motion::ToolheadState homed_xy = motion->toolhead().state();
  if (!homed_xy.homed[0] || !homed_xy.homed[1]) return Error{"Must home X and Y axes first"};
  script = fmt::format("G90\nG1 X{:.6f} Y{:.6f} F{:.3f}\nG28 Z\n", home.x, home.y, home.speed * 60);
  if (home.z_hop > 0) script += fmt::format("G1 Z{:.6f} F{:.3f}\n", home.z_hop, home.z_hop_speed * 60);
  if (home.move_to_previous) {
    script += fmt::format("G1 X{:.6f} Y{:.6f} F{:.3f}\n", before.gcode_position[0], before.gcode_position[1], home.speed * 60);
  }
  script += before.relative ? "G91\n" : "G90\n";
  return run_script_lines(script, "safe_z_home");
}

Status Controller::Impl::run_homing_override(std::string_view text, const gcode::Command& cmd) {
  const Extras::HomingOverride& override_ = *extras.homing_override;
  const bool none = !cmd.has('X') && !cmd.has('Y') && !cmd.has('Z');
  bool overridden = none;
  for (char axis : {'x', 'y', 'z'}) {
    if (cmd.has(static_cast<char>(std::toupper(axis))) && override_.axes.find(axis) != std::string::npos) overridden = true;
  }
  if (!overridden) return run_script_lines(std::string(text), "homing_override");
  auto call = macro::parse_call(text);
  if (!call) return call.error();
  macro::Context context = macro::base_context(printer_value(), macro_actions());
  context.set("params", call->params);
  context.set("rawparams", macro::Value::string(call->rawparams));
  auto rendered = macro::run_template(override_.gcode, context);
  if (!rendered) return rendered.error();
  return run_rendered("homing_override", rendered->lines, "homing_override");
}

Status Controller::Impl::run_retraction(std::string_view name, std::string_view text) {
  Extras::Retraction& r = *extras.retraction;
  if (name == "GET_RETRACTION") {
    respond(fmt::format("// RETRACT_LENGTH={:.5f} RETRACT_SPEED={:.5f} UNRETRACT_EXTRA_LENGTH={:.5f} UNRETRACT_SPEED={:.5f}",
                        r.retract_length, r.retract_speed, r.unretract_extra_length, r.unretract_speed));
    return Ok{};
  }
  if (name == "SET_RETRACTION") {
    auto call = macro::parse_call(text);
    if (!call) return call.error();
    Extras::Retraction updated = r;
    const std::pair<const char*, double*> keys[] = {{"RETRACT_LENGTH", &updated.retract_length},
                                                    {"RETRACT_SPEED", &updated.retract_speed},
                                                    {"UNRETRACT_EXTRA_LENGTH", &updated.unretract_extra_length},
                                                    {"UNRETRACT_SPEED", &updated.unretract_speed}};
    for (const auto& [key, field] : keys) {
      const macro::Value* given = call->params.dict_data().find(std::string_view(key));
      if (given == nullptr) continue;
      char* end = nullptr;
      const double value = std::strtod(given->text().c_str(), &end);
      const bool speed = std::string_view(key).find("SPEED") != std::string_view::npos;
      if (given->text().empty() || *end != '\0' || !std::isfinite(value) || value < 0 || (speed && value == 0)) {
        return Error{fmt::format("Error on 'SET_RETRACTION': {} must be a number {} 0, got '{}'", key,
                                 speed ? "above" : "at least", given->text())};
      }
      *field = value;
    }
    updated.retracted = r.retracted;
    r = updated;
    return Ok{};
  }
  // G10 / G11: the retraction hides in the G-code's E numbering, as Klipper's (the E position is put back).
  const bool retract = name == "G10";
  if (retract == r.retracted) return Ok{};
  const double length = retract ? -r.retract_length : r.retract_length + r.unretract_extra_length;
  const double speed = retract ? r.retract_speed : r.unretract_speed;
  const std::string script = fmt::format("SAVE_GCODE_STATE NAME=_retract_state\nG91\nG1 E{:.5f} F{:.3f}\n"
                                         "RESTORE_GCODE_STATE NAME=_retract_state",
                                         length, speed * 60);
  if (auto done = run_script_lines(script, "firmware_retraction"); !done) return done;
  r.retracted = retract;
  return Ok{};
}

Status Controller::Impl::run_exclude_object(std::string_view name, std::string_view text) {
  auto call = macro::parse_call(text);
  if (!call) return call.error();
  const auto param = [&](const char* key) -> std::string {
    const macro::Value* value = call->params.dict_data().find(std::string_view(key));
    return value ? value->text() : std::string();
  };
  const std::string object = config::text::to_upper(param("NAME"));
  const auto known = [&](const std::string& n) {
    return std::any_of(extras.objects.begin(), extras.objects.end(), [&](const Json& o) { return o["name"] == n; });
  };
  const auto is_excluded = [&](const std::string& n) {
    return std::find(extras.excluded.begin(), extras.excluded.end(), n) != extras.excluded.end();
  };
  if (name == "EXCLUDE_OBJECT_DEFINE") {
    if (object.empty()) return Error{"Error on 'EXCLUDE_OBJECT_DEFINE': missing NAME"};
    if (known(object)) return Ok{};
    Json definition{{"name", object}};
    if (const std::string center = param("CENTER"); !center.empty()) {
      auto parsed = macro::parse_literal("[" + center + "]");
      if (!parsed) return Error{fmt::format("Error on 'EXCLUDE_OBJECT_DEFINE': CENTER '{}' is not x,y", center)};
      definition["center"] = Json::array();
      for (const macro::Value& v : parsed->list_data().items) definition["center"].push_back(v.as_double());
    }
    if (const std::string polygon = param("POLYGON"); !polygon.empty()) {
      try {
        definition["polygon"] = Json::parse(polygon);
      } catch (const Json::exception&) {
        return Error{fmt::format("Error on 'EXCLUDE_OBJECT_DEFINE': POLYGON '{}' is not a list of points", polygon)};
      }
    }
    extras.objects.push_back(std::move(definition));
    return Ok{};
  }
  if (name == "EXCLUDE_OBJECT_START") {
    if (object.empty()) return Error{"Error on 'EXCLUDE_OBJECT_START': missing NAME"};
    if (!known(object)) extras.objects.push_back(Json{{"name", object}});
    extras.current_object = object;
    return Ok{};
  }
  if (name == "EXCLUDE_OBJECT_END") {
    if (!object.empty() && object != extras.current_object) {
      respond(fmt::format("// EXCLUDE_OBJECT_END NAME={} does not match the current object {}", object,
                          extras.current_object.empty() ? "(none)" : extras.current_object));
    }
    extras.current_object.clear();
    return Ok{};
  }
  if (name != "EXCLUDE_OBJECT") return Error{fmt::format("Unknown command:\"{}\"", name)};
  if (param("RESET") == "1") {
    if (object.empty()) extras.excluded.clear();
    else extras.excluded.erase(std::remove(extras.excluded.begin(), extras.excluded.end(), object), extras.excluded.end());
    return Ok{};
  }
  if (param("LIST") == "1") {
    std::string known_names;
    for (const Json& o : extras.objects) known_names += (known_names.empty() ? "" : " ") + o["name"].get<std::string>();
    std::string excluded_names;
    for (const std::string& n : extras.excluded) excluded_names += (excluded_names.empty() ? "" : " ") + n;
    respond("// Known objects: " + known_names);
    respond("// Excluded objects: " + excluded_names);
    return Ok{};
  }
  const std::string target = param("CURRENT") == "1" ? extras.current_object : object;
  if (target.empty()) return Error{"Error on 'EXCLUDE_OBJECT': missing NAME (or CURRENT=1 inside an object)"};
  if (!is_excluded(target)) extras.excluded.push_back(target);
  respond(fmt::format("// Excluding object {}", target));
  return Ok{};
}

bool Controller::Impl::skips_excluded_move(const gcode::Command& cmd, Status& outcome) {
  const bool move = cmd.kind == gcode::CommandKind::kG && cmd.number <= 3;
  const bool inside_excluded = !extras.current_object.empty() &&
                               std::find(extras.excluded.begin(), extras.excluded.end(), extras.current_object) !=
                                   extras.excluded.end();
  if (!move || !inside_excluded || !motion) return false;
  const motion::ToolheadState now = motion->toolhead().state();
  std::string script;
  if (now.relative) {
    // Relative moves keep their travel (the position must stay true), without extruding.
    std::string line = "G1";
    for (char axis : {'X', 'Y', 'Z'}) {
      if (cmd.has(axis)) line += fmt::format(" {}{:.6f}", axis, cmd.get(axis));
    }
    if (cmd.has('F')) line += fmt::format(" F{:.3f}", cmd.get('F'));
    script = line;
  } else if (cmd.has('Z')) {
    script = fmt::format("G1 Z{:.6f}", cmd.get('Z'));  // a layer change inside the object still happens
  }
  // The E numbering goes on as if the object had been printed: no extrusion is lost or added later.
  if (cmd.has('E') && !now.relative_e) script += fmt::format("{}G92 E{:.6f}", script.empty() ? "" : "\n", cmd.get('E'));
  outcome = script.empty() ? Status{Ok{}} : run_script_lines(script, "exclude_object");
  return true;
}

Status Controller::Impl::run_script_lines(const std::string& script, const std::string& source) {
  std::istringstream lines(script);
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) all.push_back(line);
  }
  // G28 inside these scripts is the plain one (not the override that runs them).
  ++extras.homing_depth;
  Status ran = run_rendered(source, all, source);
  --extras.homing_depth;
  return ran;
}

std::optional<Json> Controller::Impl::extras_status(const std::string& name) const {
  if (name == "save_variables" && !extras.variables_file.empty()) {
    return Json{{"variables", macro_json(extras.saved_variables)}};
  }
  if (name == "firmware_retraction" && extras.retraction) {
    const Extras::Retraction& r = *extras.retraction;
    return Json{{"retract_length", r.retract_length}, {"retract_speed", r.retract_speed},
                {"unretract_extra_length", r.unretract_extra_length}, {"unretract_speed", r.unretract_speed}};
  }
  if (name == "exclude_object" && extras.exclude_object) {
    return Json{{"objects", extras.objects},
                {"excluded_objects", extras.excluded},
                {"current_object", extras.current_object.empty() ? Json() : Json(extras.current_object)}};
  }
  return std::nullopt;
}

}  // namespace rtstep::machine
