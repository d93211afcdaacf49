#pragma once
// `rtstep bench soak` (issue 8): a long print on the virtual clock, then a real-time print of a set length,
// both under generated CPU, memory and I/O load, reporting lost steps (must be 0), final positions, lateness
// and stalls. The G-code is generated here so that a soak needs nothing but a printer.cfg.
// Non-real-time orchestration; the prints run through run_job (run.hpp).

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/run.hpp"
#include "config/config.hpp"
#include "rt/latency.hpp"
#include "util/result.hpp"

namespace rtstep::cli {

// ---- the generated print (soak_gcode.cpp)
// What a slicer would emit for a stack of boxes: per layer a travel with retraction and Z hop, two
// perimeters with arc corners (G2/G3), a tessellated circle of short chords, and a zig-zag infill whose
// direction alternates with the layer; a dwell every ten layers. Feed rates and the circle's place vary
// with the seed. When the stack reaches the top of Z it starts again at the first layer.
struct SoakShape {
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0, z_max = 0;  // travel limits, mm
  double max_velocity = 0;                                       // mm/s, caps the feed rates
};
SoakShape soak_shape(const config::MachineConfig& machine);

struct SoakGcode {
  std::size_t lines = 0;
  std::size_t layers = 0;
  double estimated_s = 0;  // sum of length / feed rate: a lower bound of the print time (no acceleration)
};
// Writes layers until the estimate reaches `motion_s`. G28 first, M400 last.
SoakGcode write_soak_gcode(std::ostream& out, const SoakShape& shape, double motion_s, uint32_t seed);

// ---- the soak (bench_soak.cpp)
struct SoakOptions {
  std::string config_path;
  double realtime_minutes = 10;   // wall time of the real-time print
  double virtual_hours = 8;       // motion time of the virtual-clock print (an overnight print)
  std::string load = "cpu,memory,io";  // built-in load (rt/load.hpp), "" = none
  std::string stress_ng = "auto"; // auto: also run stress-ng when installed; on: require it; off
  std::string workdir = "/tmp";   // generated G-code and the I/O load's files
  uint32_t seed = 1;
  bool progress = false;          // each print's progress on the log (a bar on a terminal, else plain lines)
  bool log_is_terminal = false;
};

struct SoakPhase {
  std::string name;          // "virtual" or "realtime"
  SoakGcode gcode;
  RunSummary run;
  double wall_s = 0;
  uint64_t lost_steps = 0;   // sum over steppers of |planned - counted| steps
  bool passed() const;
};

struct SoakReport {
  std::string load;          // what ran beside the prints
  uint64_t load_iterations = 0;
  std::vector<SoakPhase> phases;
  bool passed() const;
  int exit_code() const;     // 0, the first failed print's code, or exit_code::kCheckFailed for lost steps
  nlohmann::json to_json() const;
  std::string to_text() const;
};

Result<SoakReport> run_soak(const SoakOptions& options, std::ostream& log);

}  // namespace rtstep::cli
