#pragma once
// Shared helpers of the config tests: a minimal valid config with known line numbers, line editing,
// loading from memory, and a temporary directory that removes itself.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"

namespace rtstep::config::testing {

// The smallest config that loads. Tests edit single lines of it, so its line numbers are part of the
// tests: [printer] 1, [stepper_x] 6, [stepper_y] 15, [stepper_z] 24; the last line is 31.
inline constexpr const char* kMinimal =
    "[printer]\n"              // 1
    "kinematics: cartesian\n"  // 2
    "max_velocity: 300\n"      // 3
    "max_accel: 3000\n"        // 4
    "\n"                       // 5
    "[stepper_x]\n"            // 6
    "step_pin: PB9\n"          // 7
    "dir_pin: PC2\n"           // 8
    "enable_pin: !PC3\n"       // 9
    "microsteps: 16\n"         // 10
    "rotation_distance: 40\n"  // 11
    "position_endstop: 0\n"    // 12
    "position_max: 235\n"      // 13
    "\n"                       // 14
    "[stepper_y]\n"            // 15
    "step_pin: PB7\n"          // 16
    "dir_pin: PB8\n"           // 17
    "enable_pin: !PC3\n"       // 18
    "microsteps: 16\n"         // 19
    "rotation_distance: 40\n"  // 20
    "position_endstop: 0\n"    // 21
    "position_max: 235\n"      // 22
    "\n"                       // 23
    "[stepper_z]\n"            // 24
    "step_pin: PB5\n"          // 25
    "dir_pin: PB6\n"           // 26
    "enable_pin: !PC3\n"       // 27
    "microsteps: 16\n"         // 28
    "rotation_distance: 8\n"   // 29
    "position_endstop: 0\n"    // 30
    "position_max: 250\n";     // 31

// `text` with its 1-based line `n` replaced by `replacement` (which may hold several lines).
inline std::string replace_line(const std::string& text, int n, const std::string& replacement) {
  size_t begin = 0;
  for (int i = 1; i < n; ++i) begin = text.find('\n', begin) + 1;
  const size_t end = text.find('\n', begin);
  return text.substr(0, begin) + replacement + text.substr(end);
}

// `text` with line `n` blanked (kept as an empty line so later line numbers do not move).
inline std::string remove_line(const std::string& text, int n) { return replace_line(text, n, ""); }

inline Result<MachineConfig> load_text(const std::string& text) {
  auto raw = parse_raw(text, "printer.cfg");
  if (!raw) return raw.error();
  return interpret(raw.value(), "printer.cfg");
}

// The error message of loading `text`, or "<ok>".
inline std::string error_of(const std::string& text) {
  auto config = load_text(text);
  return config ? std::string("<ok>") : config.error().message;
}

inline std::string data_path(const std::string& relative) {
  return std::string(RTSTEP_SOURCE_DIR) + "/tests/config/data/" + relative;
}

// A fresh directory under the system temp directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() / ("rtstep_config_test_" + std::to_string(getpid()) + "_" +
                                                      std::to_string(stamp) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to `relative` (creating folders) and returns the full path.
  std::string write(const std::string& relative, const std::string& content) const {
    const auto file = path_ / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace rtstep::config::testing
