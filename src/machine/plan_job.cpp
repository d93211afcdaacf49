// plan_job (host_pipeline.hpp): parse, plan, solve and compress a G-code file without the real-time executor,
// and report what the executor would have received: per stepper steps, net position, segments, compression
// error. `rtstep plan` prints it.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "machine/host_pipeline.hpp"

namespace rtstep::machine {
namespace {

// Counts the records and checks the ordering contract the executor relies on (executor/executor.hpp).
class CheckingSink final : public stepgen::RecordSink {
 public:
  Status push(const ipc::Record& record) override {
    if (record.time_ns() < last_) {
      return Error{fmt::format("internal error: record {} goes back in time ({} < {} ns)", records_, record.time_ns(),
                               last_)};
    }
    if (record.kind == ipc::RecordKind::kSegment && !ipc::is_valid(record.segment)) {
      return Error{fmt::format("internal error: record {} is not a valid segment", records_)};
    }
    last_ = record.time_ns();
    ++records_;
    return Ok{};
  }
  uint64_t records() const noexcept { return records_; }

 private:
  int64_t last_ = 0;
  uint64_t records_ = 0;
};

// --steps-csv: one file per stepper, `time_ns,dir,position` per step (position = count after the step).
class CsvSteps final : public stepgen::StepObserver {
 public:
  static Result<std::unique_ptr<CsvSteps>> open(const std::string& dir, const config::MachineConfig& machine) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    auto csv = std::make_unique<CsvSteps>();
    for (const auto& stepper : machine.steppers) {
      const std::string path = (std::filesystem::path(dir) / (stepper.name + ".csv")).string();
      std::FILE* f = std::fopen(path.c_str(), "w");
      if (f == nullptr) return Error{fmt::format("{}: cannot write: {}", path, std::strerror(errno))};
      std::fputs("time_ns,dir,position\n", f);
      csv->files_.push_back(f);
    }
    return csv;
  }
  ~CsvSteps() override {
    for (std::FILE* f : files_) std::fclose(f);
  }
  void on_steps(std::size_t stepper, std::span<const int64_t> times, uint8_t dir, int64_t position_after) override {
    const int64_t step = dir == 1 ? 1 : -1;
    int64_t position = position_after - step * static_cast<int64_t>(times.size());
    fmt::memory_buffer buffer;
    for (const int64_t t : times) {
      position += step;
      fmt::format_to(std::back_inserter(buffer), "{},{},{}\n", t, dir, position);
    }
    std::fwrite(buffer.data(), 1, buffer.size(), files_[stepper]);
  }

 private:
  std::vector<std::FILE*> files_;
};

}  // namespace

uint64_t PlanSummary::total_steps() const noexcept {
  uint64_t n = 0;
  for (const auto& s : steppers) n += s.steps;
  return n;
}

uint64_t PlanSummary::total_segments() const noexcept {
  uint64_t n = 0;
  for (const auto& s : steppers) n += s.segments;
  return n;
}

int64_t PlanSummary::max_error_ns() const noexcept {
  int64_t e = 0;
  for (const auto& s : steppers) e = std::max(e, s.max_error_ns);
  return e;
}

PlanSummary plan_job(const PlanOptions& options, std::ostream& log) {
  const auto wall_start = std::chrono::steady_clock::now();
  PlanSummary summary;
  summary.config_path = options.config_path;
  summary.gcode_path = options.gcode_path;
  const auto fail = [&](int code, std::string message) {
    summary.exit_code = code;
    summary.error = std::move(message);
    return summary;
  };
  auto machine = config::load(options.config_path);
  if (!machine) return fail(1, machine.error().message);
  auto kinematics = motion::Kinematics::create(*machine);
  if (!kinematics) return fail(1, options.config_path + ": " + kinematics.error().message);
  std::ifstream gcode_file(options.gcode_path, std::ios::binary);
  if (!gcode_file) return fail(1, fmt::format("{}: cannot open G-code file", options.gcode_path));
  std::unique_ptr<CsvSteps> csv;
  if (!options.steps_csv_dir.empty()) {
    auto opened = CsvSteps::open(options.steps_csv_dir, *machine);
    if (!opened) return fail(1, opened.error().message);
    csv = std::move(*opened);
  }

  CheckingSink sink;
  HostPipeline host(*machine, *kinematics, options.gcode_path, 0, sink, csv.get());
  const FeedResult fed = host.feed(gcode_file, log);
  if (!fed.ok) fail(2, fed.error);
  summary.ignored_commands = fed.ignored_commands;
  summary.moves = host.toolhead().moves_emitted();
  summary.print_time_s = host.toolhead().print_time();
  summary.records = sink.records();
  for (std::size_t i = 0; i < machine->steppers.size(); ++i) {
    const stepgen::StepperTotals totals = host.generator().totals(i);
    PlanStepper s;
    s.name = machine->steppers[i].name;
    s.steps = totals.steps;
    s.position = host.generator().position_steps(i);
    s.net_steps = s.position - host.generator().initial_steps(i);
    s.segments = totals.segments;
    s.max_error_ns = totals.max_error_ns;
    summary.steppers.push_back(s);
  }
  summary.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return summary;
}

nlohmann::json PlanSummary::to_json() const {
  nlohmann::json steppers_json = nlohmann::json::array();
  for (const auto& s : steppers) {
    steppers_json.push_back({{"name", s.name}, {"steps", s.steps}, {"net_steps", s.net_steps},
                             {"position", s.position}, {"segments", s.segments}, {"max_error_ns", s.max_error_ns}});
  }
  const uint64_t segments = total_segments();
  return {{"ok", exit_code == 0},
          {"error", error},
          {"config", config_path},
          {"gcode", gcode_path},
          {"moves", moves},
          {"print_time_s", print_time_s},
          {"wall_time_s", wall_time_s},
          {"steps", total_steps()},
          {"segments", segments},
          {"records", records},
          {"steps_per_segment", segments == 0 ? 0.0 : static_cast<double>(total_steps()) / static_cast<double>(segments)},
          {"max_error_ns", max_error_ns()},
          {"steps_per_second", wall_time_s > 0 ? static_cast<double>(total_steps()) / wall_time_s : 0.0},
          {"ignored_commands", ignored_commands},
          {"steppers", steppers_json}};
}

std::string PlanSummary::to_text() const {
  std::string out;
  if (!error.empty()) out += "error: " + error + "\n";
  const uint64_t steps = total_steps(), segments = total_segments();
  out += fmt::format("moves {}   print time {:.3f} s   wall time {:.3f} s   {:.1f} M steps/s\n", moves, print_time_s,
                     wall_time_s, wall_time_s > 0 ? static_cast<double>(steps) / wall_time_s / 1e6 : 0.0);
  out += fmt::format("{:<12} {:>14} {:>14} {:>14} {:>12} {:>10}\n", "stepper", "steps", "net steps", "position",
                     "segments", "max err ns");
  for (const auto& s : steppers) {
    out += fmt::format("{:<12} {:>14} {:>14} {:>14} {:>12} {:>10}\n", s.name, s.steps, s.net_steps, s.position,
                       s.segments, s.max_error_ns);
  }
  out += fmt::format("total: {} steps in {} segments ({:.1f} steps/segment), largest compression error {} ns\n", steps,
                     segments, segments == 0 ? 0.0 : static_cast<double>(steps) / static_cast<double>(segments),
                     max_error_ns());
  return out;
}

}  // namespace rtstep::machine
