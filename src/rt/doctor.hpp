#pragma once
// `rtstep doctor`: checks of the host that decide real-time behaviour (kernel, isolation, frequency
// governor, RT throttling, the fair server, limits, swap, IRQs, board), each PASS / WARN / FAIL with the
// exact fix. Everything is read from files under `root` (root/proc/..., root/sys/...), so tests point it
// at fixture trees and never depend on the machine they run on. Non-real-time.

#include <string>
#include <vector>

namespace rtstep::rt {

enum class CheckStatus { kPass, kWarn, kFail };
const char* status_name(CheckStatus status) noexcept;  // "PASS", "WARN", "FAIL"

struct Check {
  std::string id;      // stable: "kernel.preempt_rt", "cmdline.isolcpus", ... (JSON, tests)
  std::string title;   // "PREEMPT_RT kernel"
  CheckStatus status = CheckStatus::kPass;
  std::string detail;  // what was found
  std::string fix;     // the exact commands or settings; "" on PASS
};

struct DoctorInput {
  std::string root = "/";           // prefix of /proc and /sys
  std::vector<int> executor_cpus;   // [rt] cpus (empty: not configured)
  std::vector<int> host_cpus;       // [rt] host_cpus
  int executor_priority = 80;       // [rt] executor_priority: what RLIMIT_RTPRIO must allow
};

// Runs every check in a fixed order.
std::vector<Check> run_doctor(const DoctorInput& input);
// Text: one block per check ("PASS  PREEMPT_RT kernel: ..." then an indented fix), then a count line.
std::string format_doctor(const std::vector<Check>& checks);
// FAIL anywhere: 1; otherwise 0 (warnings do not fail the command).
int doctor_exit_code(const std::vector<Check>& checks);

}  // namespace rtstep::rt
