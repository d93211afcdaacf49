// Typed layer of the config reader: checks which sections are present, reads [printer], the steppers,
// [extruder] and [rt] with their range checks, after the check of every section and key against Klipper's
// table (check.cpp). The first error stops the load and names file, line, section and key; ignored and
// warned sections and keys are reported, never silently dropped.

#include <algorithm>
#include <cmath>

#include "config/config.hpp"
#include "config/mcu_sections.hpp"
#include "config/motion_sections.hpp"
#include "config/section_reader.hpp"
#include "config/steppers.hpp"
#include "config/text.hpp"

namespace rtstep::config {

namespace {

constexpr double kNsPerSecond = 1e9;
constexpr std::string_view kSupportedKinematics = "cartesian, corexy";
constexpr int64_t kMinRingCapacity = 64;
constexpr int64_t kMaxRingCapacity = 1 << 20;
constexpr size_t kMaxCheckErrors = 20;  // errors of the key check shown in one message

int64_t to_ns(double seconds) { return std::llround(seconds * kNsPerSecond); }

PrinterConfig read_printer(SectionReader& r) {
  PrinterConfig p;
  p.kinematics = r.word("kinematics");
  if (r.find("kinematics") != nullptr && p.kinematics != "cartesian" && p.kinematics != "corexy") {
    r.fail_value("kinematics", "kinematics " + text::quote(p.kinematics) +
                                   " is not supported (supported: " + std::string(kSupportedKinematics) + ")");
  }
  p.max_velocity = r.number("max_velocity", Range::positive(), std::nullopt);
  p.max_accel = r.number("max_accel", Range::positive(), std::nullopt);
  p.square_corner_velocity = r.number("square_corner_velocity", Range::at_least(0), p.square_corner_velocity);
  p.minimum_cruise_ratio = r.number("minimum_cruise_ratio", Range::closed_open(0, 1), p.minimum_cruise_ratio);
  // Z limits cannot exceed the toolhead limits (as in Klipper); absent means "same as the toolhead".
  p.max_z_velocity = r.number("max_z_velocity", Range::open_closed(0, p.max_velocity), p.max_velocity);
  p.max_z_accel = r.number("max_z_accel", Range::open_closed(0, p.max_accel), p.max_accel);
  return p;
}

// The executor's CPUs must be its own: a host thread sharing them would add latency to every step.
void check_cpu_overlap(SectionReader& r, const RtConfig& rt) {
  for (int cpu : rt.host_cpus) {
    if (std::binary_search(rt.cpus.begin(), rt.cpus.end(), cpu)) {
      r.fail_value("host_cpus",
                   "CPU " + std::to_string(cpu) + " is also in cpus; the executor's CPUs must not run host threads");
      return;
    }
  }
}

// [rt] priorities and periods of the thread hierarchy (rt/hierarchy.hpp). Levels not written in the file
// default to fit below the one above (so `executor_priority: 40` alone still gives a valid hierarchy);
// levels written must be strictly below the one above (host and planner may be 0 = SCHED_OTHER).
// servo_period must be a whole multiple of base_period.
void read_rt_hierarchy(SectionReader& r, RtConfig& rt) {
  bool written = false;
  // Default: the usual value, but below the level above (at least `low`).
  const auto level = [&](const char* key, int low, int usual, int above) {
    written = written || r.find(key) != nullptr;
    const int fallback = std::max(low, std::min(usual, above - 1));
    return static_cast<int>(r.integer(key, Range::closed(low, 99), fallback));
  };
  rt.base_priority = level("base_priority", 1, rt.base_priority, rt.executor_priority);
  rt.servo_priority = level("servo_priority", 1, rt.servo_priority, rt.base_priority);
  rt.host_priority = level("host_priority", 0, rt.host_priority, rt.servo_priority);
  rt.planner_priority = level("planner_priority", 0, rt.planner_priority, rt.host_priority);
  rt.log_nice = static_cast<int>(r.integer("log_nice", Range::closed(0, 19), rt.log_nice));
  const std::pair<const char*, int> order[] = {{"executor_priority", rt.executor_priority},
                                               {"base_priority", rt.base_priority},
                                               {"servo_priority", rt.servo_priority},
                                               {"host_priority", rt.host_priority},
                                               {"planner_priority", rt.planner_priority}};
  for (size_t i = 1; written && i < std::size(order); ++i) {
    if (order[i].second == 0 && order[i - 1].second == 0) continue;
    if (order[i].second >= order[i - 1].second) {
      r.fail_value(order[i].first, "must be below " + std::string(order[i - 1].first) + " (" +
                                       std::to_string(order[i - 1].second) +
                                       "): executor > base > servo > host > planner");
      return;
    }
  }
  rt.base_period_ns = to_ns(r.number("base_period", Range::closed(0, 0.01), static_cast<double>(rt.base_period_ns) / kNsPerSecond));
  rt.servo_period_ns =
      to_ns(r.number("servo_period", Range::open_closed(0, 0.1), static_cast<double>(rt.servo_period_ns) / kNsPerSecond));
  if (rt.base_period_ns > 0 && rt.servo_period_ns % rt.base_period_ns != 0) {
    r.fail_value("servo_period", "must be a whole multiple of base_period (" + std::to_string(rt.base_period_ns) + " ns)");
  }
}

// [rt] executor timing and safety limits (issue 4): times in seconds in the file, ns here.
void read_rt_safety(SectionReader& r, RtConfig& rt) {
  const auto seconds = [&](const char* key, Range range, int64_t current) {
    return to_ns(r.number(key, range, static_cast<double>(current) / kNsPerSecond));
  };
  rt.learn_slack = r.boolean("learn_slack", rt.learn_slack);
  rt.max_slack_ns = seconds("max_slack", Range::closed(0.000002, 0.01), rt.max_slack_ns);
  rt.max_lateness_ns = seconds("max_lateness", Range::closed(0, 1), rt.max_lateness_ns);
  rt.max_bunch = r.number("max_bunch", Range::closed(0, 1000), rt.max_bunch);
  rt.late_threshold_ns = seconds("late_threshold", Range::closed(0, 1), rt.late_threshold_ns);
  rt.stall_threshold_ns = seconds("stall_threshold", Range::open_closed(0, 1), rt.stall_threshold_ns);
  rt.underrun_margin_ns = seconds("underrun_margin", Range::open_closed(0, 1), rt.underrun_margin_ns);
  rt.heartbeat_timeout_ns = seconds("heartbeat_timeout", Range::closed(0.01, 10), rt.heartbeat_timeout_ns);
}

RtConfig read_rt(SectionReader& r) {
  RtConfig rt;
  rt.executor_priority = static_cast<int>(r.integer("executor_priority", Range::closed(1, 99), rt.executor_priority));
  rt.cpus = r.cpu_list("cpus");
  rt.host_cpus = r.cpu_list("host_cpus");
  check_cpu_overlap(r, rt);
  rt.slack_ns = to_ns(r.number("slack", Range::closed(0, 0.01), static_cast<double>(rt.slack_ns) / kNsPerSecond));
  rt.buffer_time_ns =
      to_ns(r.number("buffer_time", Range::closed(0.02, 5), static_cast<double>(rt.buffer_time_ns) / kNsPerSecond));
  const int64_t capacity = r.integer("ring_capacity", Range::any(), rt.ring_capacity);
  // The ring indexes with a mask, so the capacity must be a power of two.
  if (capacity < kMinRingCapacity || capacity > kMaxRingCapacity || (capacity & (capacity - 1)) != 0) {
    r.fail_expected("ring_capacity", "a power of two in [64, 1048576]");
  }
  rt.ring_capacity = static_cast<uint32_t>(capacity);
  rt.max_step_error = r.number("max_step_error", Range::open_closed(0, 10e-6), rt.max_step_error);
  rt.dir_setup_ns =
      to_ns(r.number("dir_setup_time", Range::closed(0, 0.001), static_cast<double>(rt.dir_setup_ns) / kNsPerSecond));
  rt.allow_non_realtime = r.boolean("allow_non_realtime", rt.allow_non_realtime);
  rt.step_dir_step_filter = r.boolean("step_dir_step_filter", rt.step_dir_step_filter);
  read_rt_safety(r, rt);
  read_rt_hierarchy(r, rt);
  return rt;
}

// Reads every stepper section into `m.steppers` in the documented order: x, y, z, extras, extruder.
void read_steppers(const RawConfig& raw, MachineConfig& m, std::vector<SectionReader>& readers, ErrorSink& errors) {
  std::vector<PinUse> pins;
  const auto reader_for = [&](const Section& s) -> SectionReader& { return readers.emplace_back(s, errors); };
  for (const char axis : {'x', 'y', 'z'}) {
    m.steppers.push_back(read_axis_stepper(reader_for(*raw.find(std::string("stepper_") + axis)), axis, pins));
  }
  for (const Section& s : raw.sections) {
    if (const char axis = extra_stepper_axis(s.name); axis != 0) {
      const StepperConfig& primary = m.steppers[static_cast<size_t>(axis - 'x')];
      m.steppers.push_back(read_extra_stepper(reader_for(s), primary, pins));
    }
  }
  if (const Section* e = raw.find("extruder")) m.steppers.push_back(read_extruder(reader_for(*e), pins));
  check_pin_conflicts(pins, errors);
}

// The plain lists of the report's ignored entries, for callers that print names only.
void list_ignored(MachineConfig& m) {
  for (const ConfigNote& note : m.report.ignored) {
    if (note.key.empty()) {
      m.ignored_sections.push_back(note.section);
    } else {
      m.ignored_keys.push_back(note.name());
    }
  }
}

// The check's errors in one message, one per line; a file that is not a config at all stops at a screenful.
Error check_errors(const ConfigReport& report) {
  std::string message;
  const size_t shown = std::min(report.errors.size(), kMaxCheckErrors);
  for (size_t i = 0; i < shown; ++i) message += (message.empty() ? "" : "\n") + report.errors[i];
  if (shown < report.errors.size()) {
    message += "\n(and " + std::to_string(report.errors.size() - shown) + " more errors)";
  }
  return Error{message};
}

}  // namespace

const StepperConfig* MachineConfig::find_stepper(const std::string& name) const {
  const auto it =
      std::find_if(steppers.begin(), steppers.end(), [&](const StepperConfig& s) { return s.name == name; });
  return it == steppers.end() ? nullptr : &*it;
}

Result<MachineConfig> interpret(const RawConfig& raw, const std::string& path) {
  // Every problem of the check at once, after a missing required section (a misspelt [stepper_x] header
  // shows as both); a misspelt required key is reported as misspelt, not as missing.
  ConfigReport report = check(raw);
  for (const char* required : {"stepper_z", "stepper_y", "stepper_x", "printer"}) {
    if (raw.find(required) == nullptr) {
      report.errors.insert(report.errors.begin(), path + ": missing required section [" + required + "]");
    }
  }
  if (!report.errors.empty()) return check_errors(report);
  ErrorSink errors;
  MachineConfig m;
  m.path = path;
  std::vector<SectionReader> readers;
  readers.reserve(raw.sections.size());  // references into it are held while reading
  m.printer = read_printer(readers.emplace_back(*raw.find("printer"), errors));
  read_steppers(raw, m, readers, errors);
  if (const Section* rt = raw.find("rt")) m.rt = read_rt(readers.emplace_back(*rt, errors));
  read_motion_sections(raw, m, readers, errors);
  read_mcu_sections(raw, m, readers, errors);
  if (errors.failed()) return errors.first();
  m.report = std::move(report);
  list_ignored(m);
  return m;
}

Result<MachineConfig> load(const std::string& path) {
  auto raw = read_raw(path);
  if (!raw) return raw.error();
  return interpret(raw.value(), path);
}

}  // namespace rtstep::config
