// RunSummary as JSON (one object, for scripts) and as text (for people).
#include <fmt/format.h>

#include "cli/run.hpp"

namespace rtstep::cli {

nlohmann::json RunSummary::to_json() const {
  nlohmann::json steppers_json = nlohmann::json::array();
  for (const auto& s : steppers) {
    steppers_json.push_back({{"name", s.name},
                             {"steps", s.steps},
                             {"planned_steps", s.planned_steps},
                             {"segments", s.segments},
                             {"position_steps", s.position},
                             {"planned_position_steps", s.planned_position},
                             {"position_ok", s.position == s.planned_position}});
  }
  nlohmann::json out = {
      {"ok", exit_code == ExitCode::kOk},
      {"exit_code", static_cast<int>(exit_code)},
      {"config", config_path},
      {"gcode", gcode_path},
      {"clock", virtual_clock ? "virtual" : "real"},
      {"moves", moves},
      {"print_time_s", print_time_s},
      {"steppers", steppers_json},
      {"lateness_ns", {{"edges", lateness.edges}, {"p50", lateness.p50_ns}, {"p99", lateness.p99_ns}, {"max", lateness.max_ns}}},
      {"executor", {{"status", executor_status}, {"realtime", realtime}}},
      {"warnings", warnings},
      {"ignored_commands", ignored_commands},
      {"ignored_sections", ignored_sections},
  };
  if (!error.empty()) out["error"] = error;
  return out;
}

std::string RunSummary::to_text() const {
  std::string text;
  if (!error.empty()) text += fmt::format("error: {}\n", error);
  for (const auto& w : warnings) text += fmt::format("warning: {}\n", w);
  text += fmt::format("{} moves, {:.3f} s of motion, {} clock, executor {}{}\n", moves, print_time_s,
                      virtual_clock ? "virtual" : "real", executor_status,
                      virtual_clock ? "" : (realtime ? " (SCHED_FIFO)" : " (not real-time)"));
  text += fmt::format("{:<12} {:>10} {:>10} {:>14} {:>14}  {}\n", "stepper", "steps", "segments", "position",
                      "planned", "check");
  for (const auto& s : steppers) {
    text += fmt::format("{:<12} {:>10} {:>10} {:>14} {:>14}  {}\n", s.name, s.steps, s.segments, s.position,
                        s.planned_position, s.position == s.planned_position ? "ok" : "MISMATCH");
  }
  if (virtual_clock) {
    text += fmt::format("lateness: not measured with the virtual clock ({} edges)\n", lateness.edges);
  } else {
    text += fmt::format("lateness over {} edges: p50 {:.3f} us, p99 {:.3f} us, max {:.3f} us\n", lateness.edges,
                        lateness.p50_ns / 1e3, lateness.p99_ns / 1e3, lateness.max_ns / 1e3);
  }
  if (!ignored_commands.empty()) text += fmt::format("ignored commands: {}\n", fmt::join(ignored_commands, " "));
  if (!ignored_sections.empty()) text += fmt::format("ignored config sections: {}\n", fmt::join(ignored_sections, ", "));
  return text;
}

}  // namespace rtstep::cli
