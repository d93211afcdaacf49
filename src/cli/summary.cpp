// RunSummary as JSON (one object, for scripts) and as text (for people).
#include <fmt/format.h>

#include "cli/summary.hpp"
#include "config/config.hpp"

namespace rtstep::cli {

bool ended_early(const RunSummary& summary) {
  return !summary.stop_reason.empty() || (!summary.executor_status.empty() && summary.executor_status != "finished");
}

std::string stop_positions(const RunSummary& summary) {
  auto machine = config::load(summary.config_path);
  if (!machine || machine->steppers.size() != summary.steppers.size()) return {};
  std::string text = "stopped at (counted from the pins; the plan's end in brackets):";
  for (std::size_t i = 0; i < summary.steppers.size(); ++i) {
    const double per_mm = machine->steppers[i].steps_per_mm();
    const StepperSummary& s = summary.steppers[i];
    text += fmt::format(" {} {:.3f} mm ({:.3f})", s.name, static_cast<double>(s.position) / per_mm,
                        static_cast<double>(s.planned_position) / per_mm);
  }
  return text + "\n";
}

nlohmann::json RunSummary::to_json() const {
  nlohmann::json steppers_json = nlohmann::json::array();
  for (const auto& s : steppers) {
    steppers_json.push_back({{"name", s.name},
                             {"steps", s.steps},
                             {"planned_steps", s.planned_steps},
                             {"segments", s.segments},
                             {"position_steps", s.position},
                             {"planned_position_steps", s.planned_position},
                             {"homing_offset_steps", s.homing_offset},
                             {"position_ok", s.position == s.planned_position},
                             {"shortest_interval_ns", s.shortest_interval_ns},
                             {"planned_interval_ns", s.planned_interval_ns},
                             {"max_backlog_steps", s.max_backlog},
                             {"max_bunch_steps", s.bunch_bound},
                             {"timing_ok", s.timing_ok()},
                             {"ok", s.count_ok() && s.timing_ok()}});
    if (!s.mcu.empty()) steppers_json.back()["mcu"] = s.mcu;
  }
  nlohmann::json out = {
      {"ok", exit_code == ExitCode::kOk},
      {"exit_code", static_cast<int>(exit_code)},
      {"config", config_path},
      {"gcode", gcode_path},
      {"clock", clock_name()},
      {"mode", mode},
      {"backend", backend},
      {"moves", moves},
      {"print_time_s", print_time_s},
      {"steppers", steppers_json},
      {"lateness_ns",
       {{"edges", lateness.edges},
        {"p50", lateness.p50_ns},
        {"p99", lateness.p99_ns},
        {"p99_9", lateness.p999_ns},
        {"max", lateness.max_ns},
        {"late_edges", lateness.late_edges},
        {"late_threshold", lateness.late_threshold_ns}}},
      {"stalls", {{"count", lateness.stalls}, {"longest_ns", lateness.longest_stall_ns}}},
      {"underruns", underruns},
      {"ring", {{"capacity", ring_capacity}, {"high_water", ring_high_water}}},
      {"cpu_s", {{"host", host_cpu_s}, {"executor", executor_cpu_s}}},
      {"executor", {{"status", executor_status}, {"realtime", realtime}, {"slack_ns", slack_ns}}},
      {"warnings", warnings},
      {"ignored_commands", ignored_commands},
      {"ignored_sections", ignored_sections},
  };
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : threads) {
    rows.push_back({{"name", r.name}, {"period_ns", r.period_ns}, {"avg_time_ns", r.avg_time_ns},
                    {"max_time_ns", r.max_time_ns}, {"overruns", r.overruns}, {"note", r.note}});
  }
  out["threads"] = {{"host", host_thread}, {"table", rows}};
  for (const auto& b : boards) {
    out["mcu"].push_back({{"name", b.mcu}, {"steps", b.steps}, {"queue_step_commands", b.queue_step_commands},
                          {"queue_step_bytes", b.queue_step_bytes}, {"bytes_sent", b.bytes_sent},
                          {"retransmits", b.retransmits}, {"clock_hz", b.nominal_hz}, {"fitted_hz", b.fitted_hz}});
  }
  if (!stop_reason.empty()) out["stop_reason"] = stop_reason;
  if (!trace_path.empty()) out["trace"] = {{"path", trace_path}, {"lost", trace_lost}};
  if (!error.empty()) out["error"] = error;
  return out;
}

std::string RunSummary::to_text() const {
  // The error itself goes to stderr (run_command.cpp); the summary is what ran.
  std::string text;
  for (const auto& w : warnings) text += fmt::format("warning: {}\n", w);
  const std::string clock = mode == "split" ? "the clock of rtstep rt" : std::string(clock_name()) + " clock";
  text += fmt::format("{} moves, {:.3f} s of motion, {}, {} executor {}{}\n", moves, print_time_s, clock, mode,
                      executor_status,
                      virtual_clock ? "" : (realtime ? ", real-time (SCHED_FIFO)" : ", NOT real-time: SCHED_FIFO was refused (see the warnings)"));
  if (backend != "sim") text += fmt::format("GPIO backend: {}\n", backend);
  text += fmt::format("{:<12} {:>10} {:>10} {:>10} {:>14} {:>14} {:>19}  {}\n", "stepper", "steps", "planned",
                      "segments", "position", "planned", "min interval us", "check");
  for (const auto& s : steppers) {
    // The shortest interval as written beside the planned one: a late catch-up shows as a much shorter one.
    const std::string interval =
        s.shortest_interval_ns > 0 ? fmt::format("{:.1f}/{:.1f}", s.shortest_interval_ns / 1e3, s.planned_interval_ns / 1e3)
                                   : "-";
    // After a stop the counts differ from the plan by design: "stopped", and the run prints where (in mm).
    const char* check = !s.count_ok() ? (ended_early(*this) ? "stopped" : "MISMATCH") : !s.timing_ok() ? "BUNCHED" : "ok";
    // A board's stepper: its steps as sent to the board, its position as the board reported it.
    const std::string board = s.mcu.empty() ? "" : fmt::format(" (MCU '{}')", s.mcu);
    text += fmt::format("{:<12} {:>10} {:>10} {:>10} {:>14} {:>14} {:>19}  {}{}\n", s.name, s.steps, s.planned_steps,
                        s.segments, s.position, s.planned_position, interval, check, board);
  }
  if (virtual_clock) {
    text += fmt::format("lateness: not measured with the virtual clock ({} edges)\n", lateness.edges);
  } else {
    text += fmt::format("lateness over {} edges: p50 {:.3f} us, p99 {:.3f} us, p99.9 {:.3f} us, max {:.3f} us; "
                        "{} later than {:.1f} us; {} stall(s)\n",
                        lateness.edges, lateness.p50_ns / 1e3, lateness.p99_ns / 1e3, lateness.p999_ns / 1e3,
                        lateness.max_ns / 1e3, lateness.late_edges, lateness.late_threshold_ns / 1e3, lateness.stalls);
  }
  text += fmt::format("underruns: {}; ring: {} of {} records at most; cpu: host {:.3f} s, executor {:.3f} s\n",
                      underruns, ring_high_water, ring_capacity, host_cpu_s, executor_cpu_s);
  for (const auto& b : boards) {
    const double per_command = b.queue_step_commands > 0 ? static_cast<double>(b.steps) / b.queue_step_commands : 0;
    const double bytes_per_step = b.steps > 0 ? static_cast<double>(b.queue_step_bytes) / b.steps : 0;
    text += fmt::format("MCU '{}': {} steps in {} queue_step ({:.1f} steps each, {:.3f} bytes per step); {} bytes sent, "
                        "{} retransmitted; clock {:.0f} Hz, measured {:+.1f} ppm\n",
                        b.mcu, b.steps, b.queue_step_commands, per_command, bytes_per_step, b.bytes_sent, b.retransmits,
                        b.nominal_hz, b.nominal_hz > 0 ? (b.fitted_hz / b.nominal_hz - 1) * 1e6 : 0.0);
  }
  if (!stop_reason.empty()) text += fmt::format("stopped: {}\n", stop_reason);
  if (!host_thread.empty()) text += fmt::format("host thread: {}\n", host_thread);
  if (!threads.empty()) text += rt::format_thread_table(threads);
  if (!trace_path.empty()) text += fmt::format("trace: {} ({} writes lost)\n", trace_path, trace_lost);
  if (!ignored_commands.empty()) text += fmt::format("ignored commands: {}\n", fmt::join(ignored_commands, " "));
  if (!ignored_sections.empty()) text += fmt::format("ignored config sections: {}\n", fmt::join(ignored_sections, ", "));
  return text;
}

}  // namespace rtstep::cli
