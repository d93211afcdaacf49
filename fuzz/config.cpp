// Fuzz target: printer.cfg through config::read_raw and config::interpret (src/config), from real files.
//
// The input is up to three files separated by form feeds ('\f'): printer.cfg, a.cfg and sub/b.cfg in a
// scratch directory, so `[include a.cfg]`, `[include sub/*.cfg]` and include loops are reached.
// Invariants:
// - read_raw either succeeds or fails with a message that starts with "FILE:LINE: " for one of the files;
// - every section and key it returns is lower-case and names a file of the input and a line inside it;
// - the raw config re-serialised as plain `[section]` / `key:value` / indented continuation lines parses
//   back (parse_raw) to the same sections, keys and values;
// - interpret either fails with a message that starts with one of the files and ':', or gives a machine
//   whose every documented limit holds (finite, positive where required, ranges, ring capacity, CPU sets).

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "fuzz_util.hpp"

namespace {

namespace config = rtstep::config;

struct Files {
  std::vector<std::string> paths;  // printer.cfg, a.cfg, sub/b.cfg
  std::vector<std::size_t> lines;  // lines in each
};

std::size_t count_lines(std::string_view text) {
  if (text.empty()) return 0;
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + (text.back() == '\n' ? 0 : 1);
}

// Splits the input into the three files. With `write`, stores them in the scratch directory (every
// time, so nothing of an earlier input is left to include); without, only names them.
Files split_files(std::string_view input, bool write, std::vector<std::string>& parts) {
  static const bool made = std::filesystem::create_directories(rtstep::fuzz::scratch_dir().path() / "sub");
  (void)made;
  static const char* const kNames[] = {"printer.cfg", "a.cfg", "sub/b.cfg"};
  Files files;
  for (const char* name : kNames) {
    const std::size_t cut = input.find('\f');
    const std::string_view part = input.substr(0, cut);
    input = cut == std::string_view::npos ? std::string_view{} : input.substr(cut + 1);
    files.paths.push_back(write ? rtstep::fuzz::scratch_dir().write(name, part)
                                : (rtstep::fuzz::scratch_dir().path() / name).string());
    files.lines.push_back(count_lines(part));
    parts.emplace_back(part);
  }
  return files;
}

// Whether the text may include another file (an `[include` header in any case, possibly with blanks).
bool may_include(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("include") != std::string::npos;
}

// Index of the file `path` names (as the reader normalises it), or -1.
int file_index(const Files& files, const std::string& path) {
  const std::string normal = std::filesystem::path(path).lexically_normal().string();
  for (std::size_t i = 0; i < files.paths.size(); ++i) {
    if (files.paths[i] == normal) return static_cast<int>(i);
  }
  return -1;
}

bool is_lower(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// "FILE:LINE: ..." with FILE one of the inputs and LINE within it.
bool names_file_and_line(const Files& files, const std::string& message) {
  for (std::size_t i = 0; i < files.paths.size(); ++i) {
    const std::string prefix = files.paths[i] + ":";
    if (!message.starts_with(prefix)) continue;
    const std::size_t colon = message.find(':', prefix.size());
    if (colon == std::string::npos || colon == prefix.size()) continue;
    const std::string digits = message.substr(prefix.size(), colon - prefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    if (digits.size() > 9) continue;
    const unsigned long line = std::stoul(digits);
    if (line >= 1 && line <= files.lines[i]) return true;
  }
  return false;
}

void check_origin(const Files& files, const std::string& file, uint32_t line, const std::string& what) {
  const int index = file_index(files, file);
  FUZZ_CHECK(index >= 0, what + " comes from an unknown file " + file);
  FUZZ_CHECK(line >= 1 && line <= files.lines[static_cast<std::size_t>(index)],
             what + " has line " + std::to_string(line) + " outside " + file);
}

// The plainest text meaning `raw`: a header per section, `key:value` (no blank after ':', so a value
// starting with '#' is not read as a comment), each further line of a multi-line value indented.
std::string serialise(const config::RawConfig& raw) {
  std::string text;
  for (const auto& section : raw.sections) {
    text += "[" + section.name + "]\n";
    for (const auto& [key, value] : section.values) {
      text += key + ":";
      std::string_view rest = value.text;
      for (bool first = true;; first = false) {
        const std::size_t nl = rest.find('\n');
        text += (first ? "" : "  ") + std::string(rest.substr(0, nl)) + "\n";
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
    }
  }
  return text;
}

std::string describe(const config::RawConfig& raw) {
  std::string out;
  for (const auto& s : raw.sections) {
    out += "[" + s.name + "]";
    for (const auto& [k, v] : s.values) out += " " + k + "=\"" + v.text + "\"";
    out += "\n";
  }
  return out;
}

bool same_content(const config::RawConfig& a, const config::RawConfig& b) {
  if (a.sections.size() != b.sections.size()) return false;
  for (std::size_t i = 0; i < a.sections.size(); ++i) {
    const auto& x = a.sections[i];
    const auto& y = b.sections[i];
    if (x.name != y.name || x.values.size() != y.values.size()) return false;
    for (auto it = x.values.begin(), jt = y.values.begin(); it != x.values.end(); ++it, ++jt) {
      if (it->first != jt->first || it->second.text != jt->second.text) return false;
    }
  }
  return true;
}

void check_raw(const Files& files, const config::RawConfig& raw) {
  std::set<std::string> names;
  for (const auto& section : raw.sections) {
    FUZZ_CHECK(!section.name.empty() && is_lower(section.name), "section [" + section.name + "]");
    FUZZ_CHECK(names.insert(section.name).second, "section [" + section.name + "] listed twice");
    check_origin(files, section.file, section.line, "[" + section.name + "]");
    for (const auto& [key, value] : section.values) {
      FUZZ_CHECK(!key.empty() && is_lower(key), "[" + section.name + "] key " + key);
      check_origin(files, value.file, value.line, "[" + section.name + "] " + key);
    }
  }
  const std::string text = serialise(raw);
  auto back = config::parse_raw(text, "reserialised.cfg");
  FUZZ_CHECK(back.ok(), "re-serialised config rejected: " + back.error().message + "\n" + text);
  FUZZ_CHECK(same_content(raw, back.value()), "re-serialised config differs:\n" + describe(raw) + "---\n" +
                                                   describe(back.value()));
}

bool finite_positive(double v) { return std::isfinite(v) && v > 0; }

void check_machine(const config::MachineConfig& m) {
  const auto& p = m.printer;
  FUZZ_CHECK(p.kinematics == "cartesian" || p.kinematics == "corexy", "kinematics " + p.kinematics);
  FUZZ_CHECK(finite_positive(p.max_velocity) && finite_positive(p.max_accel), "printer limits");
  FUZZ_CHECK(std::isfinite(p.square_corner_velocity) && p.square_corner_velocity >= 0, "square_corner_velocity");
  FUZZ_CHECK(p.minimum_cruise_ratio >= 0 && p.minimum_cruise_ratio < 1, "minimum_cruise_ratio");
  FUZZ_CHECK(finite_positive(p.max_z_velocity) && p.max_z_velocity <= p.max_velocity, "max_z_velocity");
  FUZZ_CHECK(finite_positive(p.max_z_accel) && p.max_z_accel <= p.max_accel, "max_z_accel");
  FUZZ_CHECK(m.steppers.size() >= 3, "x, y and z steppers are required");
  for (const auto& s : m.steppers) {
    const std::string what = "[" + s.name + "] ";
    FUZZ_CHECK(!s.step_pin.empty() && !s.dir_pin.empty(), what + "pins");
    FUZZ_CHECK(s.microsteps > 0 && s.full_steps_per_rotation > 0, what + "microsteps/full_steps_per_rotation");
    FUZZ_CHECK(finite_positive(s.rotation_distance) && finite_positive(s.gear_ratio), what + "rotation_distance");
    FUZZ_CHECK(finite_positive(s.steps_per_mm()), what + "steps_per_mm " + std::to_string(s.steps_per_mm()));
    FUZZ_CHECK(s.step_pulse_duration >= 0 && s.step_pulse_duration <= 0.001, what + "step_pulse_duration");
    if (s.axis == 'x' || s.axis == 'y' || s.axis == 'z') {
      FUZZ_CHECK(std::isfinite(s.position_min) && std::isfinite(s.position_max) && s.position_max > s.position_min,
                 what + "travel");
      FUZZ_CHECK(s.position_endstop >= s.position_min && s.position_endstop <= s.position_max,
                 what + "position_endstop");
      FUZZ_CHECK(finite_positive(s.homing_speed) && finite_positive(s.second_homing_speed), what + "homing speeds");
      FUZZ_CHECK(std::isfinite(s.homing_retract_dist) && s.homing_retract_dist >= 0, what + "homing_retract_dist");
    }
  }
  const auto& rt = m.rt;
  const uint32_t cap = rt.ring_capacity;
  FUZZ_CHECK(cap >= 64 && cap <= (1U << 20) && (cap & (cap - 1)) == 0, "ring_capacity " + std::to_string(cap));
  FUZZ_CHECK(rt.executor_priority >= 1 && rt.executor_priority <= 99, "executor_priority");
  FUZZ_CHECK(rt.slack_ns >= 0 && rt.slack_ns <= 10'000'000, "slack");
  FUZZ_CHECK(rt.buffer_time_ns >= 20'000'000 && rt.buffer_time_ns <= 5'000'000'000, "buffer_time");
  FUZZ_CHECK(rt.max_step_error > 0 && rt.max_step_error <= 10e-6, "max_step_error");
  FUZZ_CHECK(rt.heartbeat_timeout_ns >= 10'000'000 && rt.heartbeat_timeout_ns <= 10'000'000'000, "heartbeat_timeout");
  FUZZ_CHECK(rt.servo_period_ns > 0, "servo_period");
  for (const int cpu : rt.cpus) {
    FUZZ_CHECK(cpu >= 0 && cpu < 1024, "cpu");
    FUZZ_CHECK(std::find(rt.host_cpus.begin(), rt.host_cpus.end(), cpu) == rt.host_cpus.end(),
               "executor and host CPUs overlap");
  }
  const auto& mo = m.motion;
  FUZZ_CHECK(finite_positive(mo.arc_resolution), "arc_resolution");
  FUZZ_CHECK(finite_positive(mo.max_extrude_only_velocity) && finite_positive(mo.max_extrude_only_accel),
             "extrude-only limits " + std::to_string(mo.max_extrude_only_velocity) + " " +
                 std::to_string(mo.max_extrude_only_accel));
  FUZZ_CHECK(std::isfinite(mo.instant_corner_velocity) && mo.instant_corner_velocity >= 0, "instant_corner_velocity");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Only inputs that can include another file go through real files; the rest is read from memory with
  // the same name, which is the same parser without three file writes per run (the fuzzer gets ~10x
  // more runs). Nothing else differs: read_raw reads the file whole and hands it to the same parse.
  const bool through_files = may_include(input);
  std::vector<std::string> parts;
  const Files files = split_files(input, through_files, parts);
  const std::string& top = files.paths[0];

  auto raw = through_files ? config::read_raw(top) : config::parse_raw(parts[0], top);
  if (!raw.ok()) {
    FUZZ_CHECK(names_file_and_line(files, raw.error().message), raw.error().message);
    return 0;
  }
  check_raw(files, raw.value());

  auto machine = config::interpret(raw.value(), top);
  if (!machine.ok()) {
    const std::string& message = machine.error().message;
    FUZZ_CHECK(std::any_of(files.paths.begin(), files.paths.end(),
                           [&](const std::string& p) { return message.starts_with(p + ":"); }),
               message);
    return 0;
  }
  check_machine(machine.value());
  return 0;
}
