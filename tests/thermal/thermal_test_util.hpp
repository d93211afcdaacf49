#pragma once
// Shared helpers of the thermal tests: config text -> ThermalConfig, a sim rig that runs a ThermalSystem
// against the sim plant on a virtual clock, and a temporary directory for sysfs fixture copies.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "thermal/thermal.hpp"

namespace rtstep::thermal::testing {

// An extruder (PID with Klipper-style gains), a bed (watermark) and a part fan, as a printer.cfg.
inline constexpr const char* kBaseConfig =
    "[extruder]\n"                           // 1
    "heater_pin: PA1\n"                      // 2
    "sensor_type: EPCOS 100K B57560G104F\n"  // 3
    "sensor_pin: PC5\n"                      // 4
    "control: pid\n"                         // 5
    "pid_Kp: 21.527\n"                       // 6
    "pid_Ki: 1.063\n"                        // 7
    "pid_Kd: 108.982\n"                      // 8
    "min_temp: 0\n"                          // 9
    "max_temp: 250\n"                        // 10
    "\n"                                     // 11
    "[heater_bed]\n"                         // 12
    "heater_pin: PA2\n"                      // 13
    "sensor_type: Generic 3950\n"            // 14
    "sensor_pin: PC4\n"                      // 15
    "control: watermark\n"                   // 16
    "min_temp: 0\n"                          // 17
    "max_temp: 130\n"                        // 18
    "\n"                                     // 19
    "[fan]\n"                                // 20
    "pin: PA0\n";                            // 21

// `text` with the first `from` replaced by `to` (the test fails if `from` is absent).
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

inline Result<ThermalConfig> load_text(const std::string& text) {
  auto raw = config::parse_raw(text, "printer.cfg");
  if (!raw) return raw.error();
  return load_thermal(raw.value());
}

inline ThermalConfig load_ok(const std::string& text) {
  auto c = load_text(text);
  EXPECT_TRUE(c.ok()) << (c ? "" : c.error().message);
  return c ? std::move(c).value() : ThermalConfig{};
}

inline std::string error_of(const std::string& text) {
  auto c = load_text(text);
  return c ? std::string("<ok>") : c.error().message;
}

inline constexpr int64_t kMs = 1'000'000;
inline constexpr int64_t kS = 1'000'000'000;

// A ThermalSystem against the sim plant, stepped on a virtual clock in `step_ns` ticks.
class SimRig {
 public:
  explicit SimRig(const std::string& text, int64_t step_ns = 10 * kMs)
      : config_(load_ok(text)), system_(make_system(config_)), world_(config_), step_ns_(step_ns) {
    SourceOptions options;
    options.world = &world_;
    auto poller = make_poller(config_, options);
    if (!poller) throw std::runtime_error(poller.error().message);
    poller_ = std::move(poller).value();
  }

  // One tick: sample, control, apply, integrate.
  void tick() {
    readings_.clear();
    auto polled = poller_.poll(now_, readings_);
    if (!polled) system_.shutdown(polled.error().message, now_);
    const auto commands = system_.update(now_, readings_);
    last_commands_.assign(commands.begin(), commands.end());
    world_.apply(commands);
    world_.step(now_, step_ns_);
    now_ += step_ns_;
  }
  // Ticks until `done` is true or `limit_ns` of virtual time has passed; returns whether `done` held.
  bool run_until(int64_t limit_ns, const std::function<bool()>& done) {
    while (now_ < limit_ns) {
      if (done()) return true;
      tick();
    }
    return done();
  }
  void run_for(int64_t ns) {
    const int64_t end = now_ + ns;
    while (now_ < end) tick();
  }

  ThermalSystem& system() { return system_; }
  // The commands the last tick sent.
  const std::vector<OutputCommand>& last_commands() const { return last_commands_; }
  SimWorld& world() { return world_; }
  const ThermalConfig& config() const { return config_; }
  int64_t now() const { return now_; }
  double seconds() const { return static_cast<double>(now_) * 1e-9; }
  double temp(size_t heater) const { return system_.heater(heater).last_temp(); }

 private:
  static ThermalSystem make_system(const ThermalConfig& c) {
    auto s = ThermalSystem::create(c);
    if (!s) throw std::runtime_error(s.error().message);
    return std::move(s).value();
  }
  ThermalConfig config_;
  ThermalSystem system_;
  SimWorld world_;
  SensorPoller poller_;
  std::vector<Reading> readings_;
  std::vector<OutputCommand> last_commands_;
  int64_t now_ = 0;
  int64_t step_ns_;
};

inline std::string source_path(const std::string& relative) {
  return std::string(RTSTEP_SOURCE_DIR) + "/tests/thermal/" + relative;
}

// A fresh directory under the system temp directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("rtstep_thermal_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Copies the fixture tree tests/thermal/data/<name> into this directory and returns its root.
  std::string copy_fixture(const std::string& name) const {
    std::filesystem::copy(source_path("data/" + name), path_, std::filesystem::copy_options::recursive);
    return path_.string();
  }
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

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace rtstep::thermal::testing
