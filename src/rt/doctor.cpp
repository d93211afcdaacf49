// The doctor's driver, its file probe and its output (see doctor.hpp; the checks are in doctor_checks.cpp
// and doctor_system.cpp).
#include "rt/doctor.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rt/cpu_list.hpp"
#include "rt/doctor_probe.hpp"

namespace rtstep::rt {

namespace doctor {

std::optional<std::string> Probe::read(const std::string& relative) const {
  std::ifstream in(std::filesystem::path(root_) / relative);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  std::string text = ss.str();
  // Device-tree strings end in NUL; /proc and /sys files in a newline.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0' || text.back() == ' ')) text.pop_back();
  return text;
}

std::vector<std::string> Probe::list(const std::string& relative) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(root_) / relative, ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Probe::cmdline() const {
  std::string line = read("proc/cmdline").value_or("");
  const size_t init_args = line.find(" -- ");
  return init_args == std::string::npos ? line : line.substr(0, init_args);
}

std::optional<std::string> Probe::cmdline_value(const std::string& key) const {
  std::istringstream words(cmdline());
  std::optional<std::string> value;
  // The last occurrence wins, as in the kernel.
  for (std::string w; words >> w;) {
    if (w == key) value = "";
    if (w.rfind(key + "=", 0) == 0) value = w.substr(key.size() + 1);
  }
  return value;
}

bool Probe::preempt_rt() const {
  if (read("sys/kernel/realtime").value_or("") == "1") return true;
  const std::string version = read("proc/sys/kernel/version").value_or(read("proc/version").value_or(""));
  return version.find("PREEMPT_RT") != std::string::npos;
}

std::vector<int> isolcpus_cpus(const std::string& value) {
  // Flags are words; the CPU list is what is left ("domain,managed_irq,2-3" -> "2-3").
  std::string list;
  std::istringstream parts(value);
  for (std::string part; std::getline(parts, part, ',');) {
    if (!part.empty() && std::isdigit(static_cast<unsigned char>(part.front()))) list += (list.empty() ? "" : ",") + part;
  }
  auto cpus = parse_cpu_list(list);
  return cpus ? std::move(cpus).value() : std::vector<int>{};
}

int kernel_version(const std::string& osrelease) {
  int major = 0;
  int minor = 0;
  if (std::sscanf(osrelease.c_str(), "%d.%d", &major, &minor) != 2) return 0;
  return major * 100 + minor;
}

}  // namespace doctor

const char* status_name(CheckStatus status) noexcept {
  switch (status) {
    case CheckStatus::kPass: return "PASS";
    case CheckStatus::kWarn: return "WARN";
    case CheckStatus::kFail: return "FAIL";
  }
  return "?";
}

std::vector<Check> run_doctor(const DoctorInput& input) {
  using namespace doctor;
  const Probe p(input.root);
  return {
      check_preempt_rt(p),
      check_config_cpus(p, input),
      check_cmdline_cpus(p, input, "isolcpus", "isolated executor CPUs (isolcpus=)",
                         "keeps other tasks off the executor's CPUs"),
      check_cmdline_cpus(p, input, "nohz_full", "no scheduler tick on executor CPUs (nohz_full=)",
                         "stops the periodic tick interrupting the executor"),
      check_cmdline_cpus(p, input, "rcu_nocbs", "RCU callbacks off executor CPUs (rcu_nocbs=)",
                         "moves RCU callback work to the host CPUs"),
      check_threadirqs(p),
      check_governor(p),
      check_rt_throttling(p),
      check_fair_server(p, input),
      check_rtprio(p, input),
      check_rttime(p),
      check_memlock(p),
      check_swap(p),
      check_irq_affinity(p, input),
      check_board(p),
  };
}

std::string format_doctor(const std::vector<Check>& checks) {
  std::string out;
  int counts[3] = {0, 0, 0};
  for (const auto& c : checks) {
    ++counts[static_cast<int>(c.status)];
    out += std::string(status_name(c.status)) + "  " + c.title + ": " + c.detail + "\n";
    if (c.fix.empty()) continue;
    std::istringstream lines(c.fix);
    for (std::string line; std::getline(lines, line);) out += "      fix: " + line + "\n";
  }
  out += std::to_string(counts[0]) + " passed, " + std::to_string(counts[1]) + " warnings, " +
         std::to_string(counts[2]) + " failed\n";
  return out;
}

int doctor_exit_code(const std::vector<Check>& checks) {
  return std::any_of(checks.begin(), checks.end(), [](const Check& c) { return c.status == CheckStatus::kFail; }) ? 1
                                                                                                                  : 0;
}

}  // namespace rtstep::rt
