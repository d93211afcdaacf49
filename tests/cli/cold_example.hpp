#pragma once
// The bundled example for tests of motion on the real clock (sim backend): examples/printer.cfg with
// min_extrude_temp: 0 in [extruder], and examples/square.gcode without its heater waits (M190, M109), which
// the sim's plants, heating as real ones, take about two minutes to end. The motion is the example's.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace rtstep::test_example {

inline std::string read_example(const std::string& name) {
  std::ifstream in(std::string(RTSTEP_SOURCE_DIR) + "/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A printer.cfg's text with cold extrusion allowed.
inline std::string cold_config_text(std::string config) {
  const auto at = config.find("[extruder]\n");
  if (at != std::string::npos) config.insert(at + 11, "min_extrude_temp: 0\n");
  return config;
}

// A G-code's text without its heater waits.
inline std::string cold_job_text(const std::string& gcode) {
  std::istringstream lines(gcode);
  std::string job, line;
  while (std::getline(lines, line)) {
    if (line.rfind("M190", 0) != 0 && line.rfind("M109", 0) != 0) job += line + "\n";
  }
  return job;
}

struct ColdExample {
  std::string config;  // path of the config written
  std::string job;     // path of the G-code written
};

inline ColdExample write_cold_example(const std::filesystem::path& dir) {
  ColdExample out{(dir / "cold-printer.cfg").string(), (dir / "cold-square.gcode").string()};
  std::ofstream(out.config) << cold_config_text(read_example("printer.cfg"));
  std::ofstream(out.job) << cold_job_text(read_example("square.gcode"));
  return out;
}

// The same, written once per test process into a folder of its own (removed at exit), for tests without a
// scratch folder.
inline const ColdExample& cold_example() {
  struct Written {
    std::filesystem::path dir;
    ColdExample files;
    Written() {
      dir = std::filesystem::temp_directory_path() / ("rtstep-cold-example-" + std::to_string(::getpid()));
      std::filesystem::create_directories(dir);
      files = write_cold_example(dir);
    }
    ~Written() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  };
  static const Written written;
  return written.files;
}

}  // namespace rtstep::test_example
