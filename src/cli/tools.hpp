#pragma once
// The system tools' command logic (latency, threads, doctor, systemd-unit), apart from their CLI11
// wiring, so tests drive it directly. Each turns printer.cfg [rt] and options into the plain values the
// rt layer takes. Non-real-time.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "rt/doctor.hpp"
#include "rt/hierarchy_config.hpp"
#include "rt/latency.hpp"
#include "rt/proc_threads.hpp"
#include "rt/systemd_unit.hpp"
#include "util/result.hpp"

namespace rtstep::cli {

// ---- rtstep latency (latency_command.cpp)
struct LatencyOptions {
  std::string config_path;       // optional: periods, priorities and cpus from [rt]
  double duration_s = 10;
  std::optional<double> base_period_us;   // default 25 (or [rt] base_period); 0 = no base thread
  std::optional<double> servo_period_us;  // default 1000 (or [rt] servo_period); 0 = no servo thread
  std::optional<int> priority;   // the fastest thread's; each slower one a step lower. Default 80 / [rt]
  std::string cpus;              // CPU list for the measuring threads; default [rt] cpus
  std::string load;              // "cpu,memory,io" (any subset), "" = none
  bool no_dma_latency = false;
  bool allow_non_realtime = false;
};
Result<rt::LatencyTestConfig> latency_config(const LatencyOptions& options);
// "cpu,memory,io" (any subset, "" = none) -> the background load; also used by `rtstep bench soak`.
Result<rt::LoadConfig> parse_load(const std::string& text);
nlohmann::json latency_json(const rt::LatencyReport& report);
std::string latency_text(const rt::LatencyReport& report);

// ---- rtstep threads (threads_command.cpp)
nlohmann::json threads_json(const std::vector<rt::ProcessThreads>& processes);

// ---- rtstep doctor (doctor_command.cpp)
// cpus_override: a CPU list that replaces [rt] cpus (and needs no config).
Result<rt::DoctorInput> doctor_input(const std::string& config_path, const std::string& cpus_override,
                                     const std::string& root);
nlohmann::json doctor_json(const std::vector<rt::Check>& checks);

// ---- rtstep systemd-unit (systemd_command.cpp)
struct UnitOptions {
  std::string config_path;  // required
  std::string binary;       // "" = this rtstep binary
  std::string shm_name = "rtstep";
  std::string backend = "auto";  // the executor unit's --backend: a deployed machine drives its board's pins
  std::string gcode = "/var/lib/rtstep/print.gcode";
  std::string user;
  std::string api_path = rt::UnitParams{}.api_path;  // the serve unit's --api
  std::string pty_path = rt::UnitParams{}.pty_path;  // the serve unit's --pty
};
Result<std::vector<rt::UnitFile>> units_for(const UnitOptions& options);

}  // namespace rtstep::cli
