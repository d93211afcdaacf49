// The G-code the controller runs itself (temperatures, print jobs, pause/resume, state), and the dispatch of
// every other line to the toolhead (see controller.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "machine/controller_impl.hpp"
#include "macro/runner.hpp"
#include "util/clock.hpp"

namespace rtstep::machine {
namespace {

using Params = std::map<std::string, std::string>;

// Klipper's KEY=VALUE parameters of an extended command (values may be quoted).
Result<Params> params_of(std::string_view text) {
  auto call = macro::parse_call(text);
  if (!call) return call.error();
  Params out;
  for (const auto& [key, value] : call->params.dict_data().entries) out[key.text()] = value.text();
  return out;
}

Result<double> number_param(const Params& params, const std::string& key, std::optional<double> fallback) {
  const auto it = params.find(key);
  if (it == params.end()) {
    if (fallback) return *fallback;
    return Error{fmt::format("Error on '{}': missing {}", key, key)};
  }
  char* end = nullptr;
  const double value = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !std::isfinite(value)) {
    return Error{fmt::format("Error on '{}={}': unable to parse '{}' as a number", key, it->second, it->second)};
  }
  return value;
}

std::string text_param(const Params& params, const std::string& key) {
  const auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

// The text after the command word: M23's file name, M117's message.
std::string rest_of(std::string_view text) {
  if (const auto semicolon = text.find(';'); semicolon != std::string_view::npos) text = text.substr(0, semicolon);
  const auto space = text.find_first_of(" \t");
  if (space == std::string_view::npos) return {};
  text = text.substr(space);
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t\r");
  return first == std::string_view::npos ? std::string() : std::string(text.substr(first, last - first + 1));
}

bool is_word(const gcode::Command& cmd, gcode::CommandKind kind, int number) {
  return (cmd.kind == kind || (cmd.kind == gcode::CommandKind::kIgnored && cmd.name.size() > 1 &&
                               cmd.name[0] == (kind == gcode::CommandKind::kM ? 'M' : 'G'))) &&
         cmd.number == number;
}

// Commands that run whatever the state, as in Klipper.
bool runs_when_not_ready(std::string_view name) {
  return name == "M112" || name == "RESTART" || name == "FIRMWARE_RESTART" || name == "STATUS" || name == "HELP";
}

// Help texts for HELP and gcode/help.
const std::map<std::string, std::string>& own_help() {
  static const std::map<std::string, std::string> help = {
      {"STATUS", "Report the printer status"},
      {"HELP", "Report the list of available extended G-Code commands"},
      {"RESTART", "Reload config file and restart host software"},
      {"FIRMWARE_RESTART", "Restart firmware, host, and reload config"},
      {"SDCARD_PRINT_FILE", "Loads a SD file and starts the print.  May include files in subdirectories."},
      {"SDCARD_RESET_FILE", "Clears a loaded SD File. Stops the print if necessary"},
      {"PAUSE", "Pauses the current print"},
      {"RESUME", "Resumes the print from a pause"},
      {"CLEAR_PAUSE", "Clears the current paused state without resuming the print"},
      {"CANCEL_PRINT", "Cancel the current print"},
      {"SET_HEATER_TEMPERATURE", "Sets a heater temperature"},
      {"TEMPERATURE_WAIT", "Wait for a temperature on a sensor"},
      {"TURN_OFF_HEATERS", "Turn off all heaters"},
      {"SET_FAN_SPEED", "Sets the speed of a fan"},
      {"SET_IDLE_TIMEOUT", "Set the idle timeout in seconds"},
      {"SET_VELOCITY_LIMIT", "Set printer velocity limits"},
      {"GET_POSITION", "Return information on the current location of the toolhead"},
      {"RESPOND", "Echo the message prepended with a prefix"},
      {"SET_GCODE_VARIABLE", "Change a [gcode_macro] variable (MACRO= VARIABLE= VALUE=)"},
      {"UPDATE_DELAYED_GCODE", "Run [delayed_gcode ID] DURATION seconds from now (0 cancels it)"},
      {"SAVE_GCODE_STATE", "Remember the G-code position, modes and speed (NAME=)"},
      {"RESTORE_GCODE_STATE", "Go back to a remembered G-code state (NAME=, MOVE=1 moves there)"},
      {"SAVE_VARIABLE", "Store VARIABLE=VALUE in the [save_variables] file"},
      {"SET_RETRACTION", "Change the G10/G11 retraction lengths and speeds"},
      {"GET_RETRACTION", "Show the G10/G11 retraction lengths and speeds"},
      {"EXCLUDE_OBJECT", "Stop printing an object (NAME=, CURRENT=1), or RESET=1, LIST=1"},
      {"EXCLUDE_OBJECT_DEFINE", "Declare an object of the print (NAME=, CENTER=, POLYGON=)"},
      {"EXCLUDE_OBJECT_START", "The moves that follow belong to object NAME"},
      {"EXCLUDE_OBJECT_END", "The moves of the current object end here"},
  };
  return help;
}

}  // namespace

std::map<std::string, std::string> own_command_help() { return own_help(); }

// A command rtstep runs itself: a macro may take its name only with rename_existing, as in Klipper.
bool is_builtin_command(const std::string& name) {
  static const std::array<std::string_view, 10> kOwnTraditional = {"M20", "M23", "M24", "M25", "M27",
                                                                    "M73", "M105", "M115", "M117", "M118"};
  if (own_help().count(name) || std::find(kOwnTraditional.begin(), kOwnTraditional.end(), name) != kOwnTraditional.end()) {
    return true;
  }
  gcode::LineScratch scratch;
  gcode::Command cmd;
  gcode::ParseError error;
  // A name the parser knows is a command even when it wants parameters (its parse of the bare name fails);
  // G-code numbers with a fraction (G28.1) are none of rtstep's.
  if (!gcode::parse_line(name, 1, "", scratch, cmd, error)) return name.find('.') == std::string::npos;
  return cmd.kind != gcode::CommandKind::kIgnored && cmd.kind != gcode::CommandKind::kEmpty;
}

// Klipper's RESTORE_GCODE_STATE: the saved modes, speed and extruder position; with a move speed (MOVE=1),
// first back to the saved position at that speed.
std::string restore_script(const SavedState& saved, std::optional<double> move_speed) {
  std::string script = "G90\n";
  if (move_speed) {
    script += fmt::format("G1 X{:.6f} Y{:.6f} Z{:.6f} F{:.3f}\n", saved.gcode_position[0], saved.gcode_position[1],
                          saved.gcode_position[2], *move_speed * 60);
  }
  script += fmt::format("G92 E{:.6f}\n{}\n{}\nG1 F{:.3f}", saved.gcode_position[3], saved.relative ? "G91" : "G90",
                        saved.relative_e ? "M83" : "M82", saved.feed_rate * 60);
  return script;
}

LineOutcome Controller::Impl::run_line(std::string_view text, uint32_t number, const std::string& source,
                                       bool builtin_only) {
  if (!builtin_only) {
    if (auto ran = run_macro_line(text, number, source)) return *ran;
  }
  gcode::LineScratch scratch;
  gcode::Command cmd;
  gcode::ParseError parse_error;
  if (!gcode::parse_line(text, number, source, scratch, cmd, parse_error)) {
    return {Error{parse_error.to_string()}, ""};
  }
  if (cmd.kind == gcode::CommandKind::kEmpty) return {};
  const std::string name(cmd.name);
  if (state != "ready" && !runs_when_not_ready(name)) return {Error{state_message}, ""};
  if (name == "M112" && source != "console") {  // in a job: the shutdown names the file and line
    enter_shutdown(fmt::format("{}:{}: emergency stop (M112)", source, number));
    return {};
  }
  if (auto own = run_own_command(name, text, cmd)) return *own;
  if (cmd.kind == gcode::CommandKind::kIgnored || cmd.kind == gcode::CommandKind::kT) {
    // At the console every time, as Klipper answers it; in a job once per command (a slicer's M486 on every
    // layer would bury the rest of the output).
    if (source == "console") {
      respond(fmt::format("// Unknown command:\"{}\"", name));
    } else if (std::find(job_unknown.begin(), job_unknown.end(), name) == job_unknown.end()) {
      job_unknown.push_back(name);
      respond(fmt::format("// {}:{}: note: ignoring unknown command {} (reported once)", source, number, name));
    }
    return {};
  }
  if (!motion) return {Error{state_message}, ""};
  if (Status skipped = Ok{}; skips_excluded_move(cmd, skipped)) return {skipped, ""};
  // A move that changes E needs a hot extruder (Klipper: min_extrude_temp).
  if (thermal && !motion->virtual_clock() && cmd.kind == gcode::CommandKind::kG && cmd.number <= 3 && cmd.has('E') &&
      thermal->system().heater_index("extruder")) {
    const motion::ToolheadState now = motion->toolhead().state();
    const double target = now.relative_e ? now.gcode_position[3] + cmd.get('E') : cmd.get('E');
    if (target != now.gcode_position[3]) {
      if (auto hot = thermal->system().check_extrude(); !hot) return {Error{hot.error().message}, ""};
    }
  }
  motion->toolhead().set_source_name(source);
  std::string reply;
  Status done = motion->execute(cmd, reply);
  if (!reply.empty()) respond(reply);
  if (thermal) thermal->system().set_steppers_enabled(motion->toolhead().state().any_enabled);
  if (job) job->extruder_at(motion->toolhead().position()[3]);
  return {done, ""};
}

std::optional<LineOutcome> Controller::Impl::run_own_command(std::string_view name, std::string_view text,
                                                             const gcode::Command& cmd) {
  using gcode::CommandKind;
  const auto ok = [](std::string ack = "") { return LineOutcome{Ok{}, std::move(ack)}; };
  const auto fail = [](std::string message) { return LineOutcome{Error{std::move(message)}, ""}; };
  const auto from = [](Status st) { return LineOutcome{std::move(st), ""}; };
  const int64_t now = monotonic_ns();
  // Motion that is still queued runs to a stop before the host waits (a heater, the end of the motion):
  // the executor would otherwise wait for records that do not come.
  const auto wait = [&](const std::function<bool()>& done, const std::string& what) {
    if (motion) motion->idle();
    Status error = Ok{};
    if (!wait_until(done, what, error)) return from(error);
    return ok();
  };

  // --- State -----------------------------------------------------------------------------------------------
  if (name == "M112") {
    enter_shutdown("Shutdown due to M112 command");
    return ok();
  }
  if (name == "STATUS") {
    respond("// " + (state == "ready" ? std::string("Klipper state: Ready") : state_message));
    return ok();
  }
  if (name == "HELP") {
    respond("// Available extended commands:");
    for (const auto& [command, help] : own_help()) respond("// " + command + ": " + help);
    for (const auto& [command, help] : macro_help()) respond("// " + command + ": " + help);
    return ok();
  }
  if (name == "RESTART" || name == "FIRMWARE_RESTART") {
    if (job && (job->printing() || job->paused())) finish_job("cancelled", std::string(name));
    end_machine();
    if (hooks.on_restart) hooks.on_restart();
    set_state("startup", "rtstep is restarting");
    start_machine();
    return ok();
  }
  if (auto ran = run_macro_command(name, text)) return *ran;
  if (auto ran = run_extra_command(name, text, cmd)) return *ran;
  if (name == "M115") return ok("FIRMWARE_NAME:rtstep FIRMWARE_VERSION:" RTSTEP_VERSION " MACHINE_TYPE:rtstep");
  if (name == "M105") return ok(thermal ? thermal->m105(now) : "T:0");
  if (name == "M400") {
    if (motion) {
      std::string reply;
      if (auto flushed = motion->execute(cmd, reply); !flushed) return from(flushed);
    }
    return wait([this] { return !motion || motion->motion_done(); }, "M400");
  }
  if (name == "M117") {
    display_message = rest_of(text);
    return ok();
  }
  if (name == "M118") {
    respond(rest_of(text));
    return ok();
  }
  if (name == "M73") return ok();  // the slicer's progress: print_stats keeps its own
  if (name == "RESPOND") {
    auto params = params_of(text);
    if (!params) return fail(params.error().message);
    const std::string type = params->count("TYPE") ? text_param(*params, "TYPE") : settings.respond_type;
    if (type != "echo" && type != "command" && type != "error") {
      return fail(fmt::format("RESPOND TYPE '{}' is invalid. Must be one of 'echo', 'command', or 'error'", type));
    }
    std::string prefix = text_param(*params, "PREFIX");
    if (prefix.empty() && !params->count("TYPE")) prefix = settings.respond_prefix;
    if (prefix.empty()) prefix = type == "error" ? "!!" : type == "command" ? "//" : "echo:";
    respond(prefix + " " + text_param(*params, "MSG"));
    return ok();
  }
  if (name == "SET_IDLE_TIMEOUT") {
    auto params = params_of(text);
    if (!params) return fail(params.error().message);
    auto timeout = number_param(*params, "TIMEOUT", settings.idle_timeout_s);
    if (!timeout) return fail(timeout.error().message);
    if (!(*timeout > 0)) return fail("Error on 'SET_IDLE_TIMEOUT': TIMEOUT must be above 0");
    settings.idle_timeout_s = *timeout;
    respond(fmt::format("// idle_timeout: Timeout set to {:.2f} s", *timeout));
    return ok();
  }

  // --- Heaters and fans ------------------------------------------------------------------------------------
  if (thermal) {
    thermal::ThermalSystem& heaters = thermal->system();
    const auto set_and_maybe_wait = [&](const std::string& heater, double target, bool wait_for_it) {
      if (auto set = heaters.set_target(heater, target); !set) return fail(set.error().message);
      if (!wait_for_it || skips_heat_wait(std::string(name))) return ok();
      return wait([&heaters, heater] { return !heaters.heater_busy(heater); }, "wait for " + heater);
    };
    // A slicer's M104/M140/M106 on a machine without that heater or fan (a test rig, a CNC) go on to the
    // toolhead, which notes that they have no effect, as Klipper leaves them unknown there.
    const bool extruder = heaters.heater_index("extruder").has_value(), bed = heaters.heater_index("heater_bed").has_value();
    const bool fan = heaters.fan_index("fan").has_value();
    if (extruder && (is_word(cmd, CommandKind::kM, 104) || is_word(cmd, CommandKind::kM, 109))) {
      return set_and_maybe_wait("extruder", cmd.get_or('S', 0.0), cmd.number == 109);
    }
    if (bed && (is_word(cmd, CommandKind::kM, 140) || is_word(cmd, CommandKind::kM, 190))) {
      return set_and_maybe_wait("heater_bed", cmd.get_or('S', 0.0), cmd.number == 190);
    }
    if (fan && is_word(cmd, CommandKind::kM, 106)) {
      return from(heaters.set_fan_speed("fan", std::clamp(cmd.get_or('S', 255.0) / 255.0, 0.0, 1.0), now));
    }
    if (fan && is_word(cmd, CommandKind::kM, 107)) return from(heaters.set_fan_speed("fan", 0, now));
    if (name == "TURN_OFF_HEATERS") {
      heaters.turn_off_all();
      return ok();
    }
    if (name == "SET_HEATER_TEMPERATURE" || name == "SET_FAN_SPEED" || name == "TEMPERATURE_WAIT") {
      auto params = params_of(text);
      if (!params) return fail(params.error().message);
      if (name == "SET_FAN_SPEED") {
        auto speed = number_param(*params, "SPEED", std::nullopt);
        if (!speed) return fail(speed.error().message);
        return from(heaters.set_fan_speed(text_param(*params, "FAN"), *speed, now));
      }
      if (name == "SET_HEATER_TEMPERATURE") {
        auto target = number_param(*params, "TARGET", 0.0);
        if (!target) return fail(target.error().message);
        return set_and_maybe_wait(text_param(*params, "HEATER"), *target, false);
      }
      const std::string sensor = text_param(*params, "SENSOR");
      auto minimum = number_param(*params, "MINIMUM", -1e300);
      auto maximum = number_param(*params, "MAXIMUM", 1e300);
      if (!minimum || !maximum) return fail((!minimum ? minimum : maximum).error().message);
      if (!params->count("MINIMUM") && !params->count("MAXIMUM")) {
        return fail("Error on 'TEMPERATURE_WAIT': missing MINIMUM or MAXIMUM.");
      }
      if (!heaters.temperature_in_range(sensor, *minimum, *maximum, now)) {
        return fail(fmt::format("Unknown sensor '{}'", sensor));
      }
      if (skips_heat_wait(std::string(name))) return ok();
      return wait([&heaters, sensor, lo = *minimum, hi = *maximum] {
        return heaters.temperature_in_range(sensor, lo, hi, monotonic_ns()).value_or(true);
      }, "TEMPERATURE_WAIT");
    }
  }

  // --- Print jobs (virtual_sdcard, pause_resume) -------------------------------------------------------------
  if (!job) return std::nullopt;
  if (name == "SDCARD_PRINT_FILE") {
    auto params = params_of(text);
    if (!params) return fail(params.error().message);
    if (!params->count("FILENAME")) return fail("Error on 'SDCARD_PRINT_FILE': missing FILENAME");
    return from(start_print(text_param(*params, "FILENAME")));
  }
  if (name == "M20") {
    respond("Begin file list");
    for (const auto& [file, size] : job->files()) respond(fmt::format("{} {}", file, size));
    respond("End file list");
    return ok();
  }
  if (name == "M23") {
    std::string filename = rest_of(text);
    if (filename.empty()) return fail("M23: missing file name");
    if (filename[0] == '/') filename.erase(0, 1);
    if (auto selected = job->select(filename); !selected) return fail(selected.error().message);
    respond(fmt::format("File opened:{} Size:{}", job->filename(), job->virtual_sdcard_status()["file_size"].get<uint64_t>()));
    respond("File selected");
    return ok();
  }
  if (name == "M24") {
    if (job->paused()) return from(resume_print());
    if (!motion) return fail(state_message);
    return from(job->start(now_s(), motion->toolhead().position()[3]));
  }
  if (name == "M25") return from(pause_print());
  if (name == "M27") {
    respond(job->progress_report());
    return ok();
  }
  if (name == "SDCARD_RESET_FILE") {
    if (job->printing()) return fail("SDCARD_RESET_FILE cannot be run from the sdcard");
    job->reset();
    return ok();
  }
  if (name == "PAUSE") return from(pause_print());
  if (name == "RESUME") return from(resume_print());
  if (name == "CLEAR_PAUSE") {
    pause_state.reset();
    if (motion) motion->discard_deferred();
    return ok();
  }
  if (name == "CANCEL_PRINT") return from(cancel_print());
  return std::nullopt;
}

Status Controller::Impl::start_print(const std::string& filename) {
  if (job->printing() || job->paused()) return Error{"SD busy"};
  if (!motion) return Error{state_message};
  if (auto selected = job->select(filename); !selected) return selected;
  return begin_job();
}

Status Controller::Impl::begin_job() {
  job_size.store(job->size(), std::memory_order_relaxed);
  job_position.store(0, std::memory_order_relaxed);
  job_unknown.clear();
  pause_state.reset();
  motion->discard_deferred();
  if (auto started = job->start(now_s(), motion->toolhead().position()[3]); !started) return started;
  respond(fmt::format("// Printing {}", job->filename()));
  return Ok{};
}

Status Controller::Impl::pause_print() {
  if (pause_state) return Error{"Print already paused"};
  const bool printing = job->printing();
  job->pause(now_s());
  print_running.store(false, std::memory_order_relaxed);  // from now on, a CANCEL_PRINT leaves console moves alone
  // Klipper's SAVE_GCODE_STATE: where the toolhead stops, and the G-code's modes. Paused at once for the
  // front ends (stop_short answers their queries while it sends), then the position where it stops.
  const auto save = [this] {
    const motion::ToolheadState now = motion->toolhead().state();
    pause_state = SavedState{now.gcode_position, now.relative, now.relative_e, now.feed_rate};
  };
  save();
  // Nothing more is read; a print's moves stop short within the lead (the ones read but not made wait for
  // RESUME); console moves run to their end.
  if (printing) motion->stop_short();
  else motion->idle();
  save();
  return Ok{};
}

Status Controller::Impl::resume_print() {
  if (!pause_state) return Error{"Print is not paused, resume aborted"};
  // Klipper's RESTORE_GCODE_STATE MOVE=1: back to where the print paused, then its modes.
  if (ScriptOutcome moved = run_script(restore_script(*pause_state, settings.recover_velocity)); !moved.ok) {
    return Error{moved.error};
  }
  if (auto replayed = motion->replay_deferred(); !replayed) return replayed;  // what PAUSE cut short
  pause_state.reset();
  if (job->paused()) return job->start(now_s(), motion->toolhead().position()[3]);
  return Ok{};
}

Status Controller::Impl::cancel_print() {
  if (job->printing() || job->paused()) finish_job("cancelled", "");
  else respond("// action:cancel");
  pause_state.reset();
  return Ok{};
}

void Controller::Impl::finish_job(const std::string& how, const std::string& message) {
  if (motion && how == "cancelled" && job->printing()) {
    motion->stop_short();  // cancelled mid-print: the toolhead stops within the lead, the rest is dropped
  } else if (motion) {
    // The end of the file, a failed line (what was accepted before it still runs, as Klipper's queued
    // moves do), or console moves made while paused: they run to their end.
    motion->idle();
  }
  if (motion) motion->discard_deferred();
  std::string outcome = message;
  // Every print counts its steps on the sim backend against the plan, as `rtstep run` does.
  if (how == "complete" && motion && state == "ready") {
    Status waited = Ok{};
    if (wait_until([this] { return motion->motion_done(); }, "the end of the print", waited)) {
      for (const StepperCount& c : motion->counts()) {
        if (c.ok()) continue;
        outcome = fmt::format("{} wrote {} steps and ended at {}, planned {} steps ending at {}", c.name, c.steps,
                              c.position, c.planned_steps, c.planned_position);
        break;
      }
    } else {
      outcome = waited.error().message;
    }
  }
  const std::string state_name = how == "complete" && !outcome.empty() ? "error" : how;
  job->finish(state_name, now_s(), outcome);
  if (state_name == "complete") respond("// Done printing file");
  // A run_file() caller reports the outcome itself; a shutdown has said why already.
  else if (!outcome.empty() && !job_done && state == "ready") respond("!! " + outcome);
  pause_state.reset();
  JobEnd::Why why = how == "cancelled" ? JobEnd::Why::kCancelled : how == "error" ? JobEnd::Why::kLine
                                                                                   : JobEnd::Why::kComplete;
  if (how == "complete" && !outcome.empty()) why = state == "ready" ? JobEnd::Why::kCount : JobEnd::Why::kShutdown;
  end_job_for_caller(why, outcome);
}

bool Controller::Impl::skips_heat_wait(const std::string& what) {
  if (!motion || !motion->virtual_clock()) return false;
  if (!heat_waits_noted) {
    heat_waits_noted = true;
    respond(fmt::format("// {}: the virtual clock does not wait for heaters ({} and the like go on at once, and "
                        "min_extrude_temp is not checked): their time is real, the motion's is not", options.who, what));
  }
  return true;
}

}  // namespace rtstep::machine
