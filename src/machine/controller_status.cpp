// The controller's status objects, with Klipper's names and fields (see controller.hpp).
#include <time.h>
#include <unistd.h>

#include <fstream>

#include "machine/controller_impl.hpp"
#include "util/clock.hpp"

namespace rtstep::machine {

std::map<std::string, std::string> own_command_help();  // controller_commands.cpp

namespace {

using Json = nlohmann::json;

Json coord(const motion::Coord& c) { return Json::array({c[0], c[1], c[2], c[3]}); }

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Json system_stats() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  long long available_kb = 0;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    if (key == "MemAvailable:") {
      meminfo >> available_kb;
      break;
    }
    meminfo.ignore(256, '\n');
  }
  return {{"sysload", load}, {"cputime", process_cpu_s()}, {"memavail", available_kb}};
}

// printer.cfg as Klipper shows it: configfile.config holds the text of every key, configfile.settings the
// same with numbers and booleans as values.
Json config_object(const config::RawConfig& raw, bool typed) {
  Json out = Json::object();
  for (const config::Section& section : raw.sections) {
    Json keys = Json::object();
    for (const auto& [key, value] : section.values) {
      if (!typed) {
        keys[key] = value.text;
        continue;
      }
      char* end = nullptr;
      const double number = std::strtod(value.text.c_str(), &end);
      if (!value.text.empty() && *end == '\0') keys[key] = number;
      else if (value.text == "True" || value.text == "true") keys[key] = true;
      else if (value.text == "False" || value.text == "false") keys[key] = false;
      else keys[key] = value.text;
    }
    out[section.name] = keys;
  }
  return out;
}

std::string homed_axes(const std::array<bool, 3>& homed) {
  std::string axes;
  for (std::size_t i = 0; i < 3; ++i) {
    if (homed[i]) axes += "xyz"[i];
  }
  return axes;
}

}  // namespace

std::vector<std::string> Controller::Impl::names_of_objects() const {
  std::vector<std::string> names = {"webhooks",       "configfile",     "toolhead",    "gcode_move",
                                    "motion_report",  "print_stats",    "virtual_sdcard", "pause_resume",
                                    "idle_timeout",   "display_status", "system_stats", "gcode"};
  if (thermal) {
    const Json objects = thermal->system().status_json(monotonic_ns());
    for (auto it = objects.begin(); it != objects.end(); ++it) names.push_back(it.key());
  }
  for (const auto& [name, macro_state] : macros.by_name) names.push_back("gcode_macro " + name);
  for (const char* extra : {"save_variables", "firmware_retraction", "exclude_object"}) {
    if (extras_status(extra)) names.push_back(extra);
  }
  return names;
}

Json Controller::Impl::status(const StatusRequest& request) {
  const int64_t now = monotonic_ns();
  const double now_seconds = now_s();
  const bool have_motion = motion != nullptr;
  const motion::ToolheadState th = have_motion ? motion->toolhead().state() : motion::ToolheadState{};
  Json thermal_objects = thermal ? thermal->system().status_json(now) : Json::object();
  const auto build = [&](const std::string& name) -> std::optional<Json> {
    if (name == "webhooks") return Json{{"state", state}, {"state_message", state_message}};
    if (name == "configfile") {
      return Json{{"config", config_object(raw, false)}, {"settings", config_object(raw, true)},
                  {"warnings", Json::array()}, {"save_config_pending", false},
                  {"save_config_pending_items", Json::object()}};
    }
    if (name == "toolhead") {
      Json minimum = Json::array(), maximum = Json::array();
      for (const char* axis : {"stepper_x", "stepper_y", "stepper_z"}) {
        double lo = 0, hi = 0;
        if (machine) {
          for (const config::StepperConfig& s : machine->steppers) {
            if (s.name == axis) {
              lo = s.position_min;
              hi = s.position_max;
            }
          }
        }
        minimum.push_back(lo);
        maximum.push_back(hi);
      }
      minimum.push_back(0.0);
      maximum.push_back(0.0);
      return Json{{"homed_axes", homed_axes(th.homed)},
                  {"position", coord(th.position)},
                  {"print_time", th.print_time},
                  {"estimated_print_time", have_motion ? std::max(0.0, motion->clock_print_time()) : 0.0},
                  {"max_velocity", th.max_velocity},
                  {"max_accel", th.max_accel},
                  {"minimum_cruise_ratio", th.minimum_cruise_ratio},
                  {"square_corner_velocity", th.square_corner_velocity},
                  {"axis_minimum", minimum},
                  {"axis_maximum", maximum},
                  {"stalls", 0},
                  {"extruder", "extruder"}};
    }
    if (name == "gcode_move") {
      return Json{{"speed_factor", th.speed_factor},
                  {"speed", th.feed_rate},
                  {"extrude_factor", th.extrude_factor},
                  {"absolute_coordinates", !th.relative},
                  {"absolute_extrude", !th.relative_e},
                  {"homing_origin", Json::array({0.0, 0.0, 0.0, 0.0})},
                  {"position", coord(th.position)},
                  {"gcode_position", coord(th.gcode_position)}};
    }
    if (name == "motion_report") {
      Json steppers = Json::array();
      if (machine) {
        for (const config::StepperConfig& s : machine->steppers) steppers.push_back(s.name);
      }
      const bool moving = have_motion && !motion->motion_done();
      return Json{{"live_position", coord(th.position)},
                  {"live_velocity", moving ? th.feed_rate * th.speed_factor : 0.0},
                  {"live_extruder_velocity", 0.0},
                  {"steppers", steppers},
                  {"trapq", Json::array({"toolhead", "extruder"})}};
    }
    if (name == "print_stats") return job ? job->print_stats_status(now_seconds) : PrintJob("").print_stats_status(0);
    if (name == "virtual_sdcard") return job ? job->virtual_sdcard_status() : PrintJob("").virtual_sdcard_status();
    if (name == "pause_resume") return Json{{"is_paused", pause_state.has_value()}};
    if (name == "idle_timeout") {
      const bool printing = (job && job->printing()) || (have_motion && !motion->motion_done());
      const std::string idle_state = printing ? "Printing" : idle_timed_out ? "Idle" : "Ready";
      return Json{{"state", idle_state},
                  {"printing_time", printing ? static_cast<double>(now - last_busy_ns) / 1e9 : 0.0}};
    }
    if (name == "display_status") {
      return Json{{"progress", job ? job->progress() : 0.0}, {"message", display_message}};
    }
    if (name == "system_stats") return system_stats();
    if (name == "gcode") {
      Json known = Json::object();
      for (const auto& [command, help] : own_command_help()) known[command] = {{"help", help}};
      for (const auto& [command, help] : macro_help()) known[command] = {{"help", help}};
      return Json{{"commands", known}};
    }
    if (thermal_objects.contains(name)) return thermal_objects[name];
    if (auto extra = extras_status(name)) return extra;
    return macro_status(name);
  };
  Json out = Json::object();
  for (const auto& [name, fields] : request) {
    std::optional<Json> object = build(name);
    if (!object) continue;
    if (!fields) {
      out[name] = std::move(*object);
      continue;
    }
    Json picked = Json::object();
    for (const std::string& field : *fields) {
      if (object->contains(field)) picked[field] = (*object)[field];
    }
    out[name] = std::move(picked);
  }
  return out;
}

}  // namespace rtstep::machine
