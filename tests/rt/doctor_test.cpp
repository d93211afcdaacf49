// `rtstep doctor` checks against fixture trees (tests/rt/data/doctor/<name>/): a tuned Raspberry Pi 5 with
// PREEMPT_RT and a stock x86 box. Nothing here reads the machine the tests run on.
#include "rt/doctor.hpp"

#include <gtest/gtest.h>

#include <map>

#include "rt/doctor_probe.hpp"

namespace rtstep::rt {
namespace {

const std::string kData = std::string(RTSTEP_SOURCE_DIR) + "/tests/rt/data/doctor/";

std::map<std::string, Check> by_id(const std::vector<Check>& checks) {
  std::map<std::string, Check> out;
  for (const auto& c : checks) out[c.id] = c;
  return out;
}

DoctorInput input(const std::string& tree, std::vector<int> cpus, std::vector<int> host = {}) {
  DoctorInput in;
  in.root = kData + tree;
  in.executor_cpus = std::move(cpus);
  in.host_cpus = std::move(host);
  in.executor_priority = 80;
  return in;
}

TEST(Doctor, ATunedPi5PassesEverything) {
  const auto checks = run_doctor(input("rt-pi5", {3}, {0, 1, 2}));
  for (const auto& c : checks) {
    EXPECT_EQ(c.status, CheckStatus::kPass) << c.id << ": " << c.detail;
    EXPECT_EQ(c.fix, "") << c.id;
  }
  const auto m = by_id(checks);
  EXPECT_EQ(m.at("cmdline.isolcpus").detail, "isolcpus=domain,managed_irq,3 covers [rt] cpus 3");
  EXPECT_EQ(m.at("sched.fair_server").detail, "runtime CPU 3: 0 ns");
  EXPECT_EQ(m.at("board.gpio").detail,
            "Raspberry Pi 5 Model B Rev 1.0: GPIO on RP1; backend mmio-rp1 (/dev/gpiomem0) for step pins, gpiod "
            "(gpiochip0) for setup");
  EXPECT_EQ(m.at("limits.rtprio").detail, "limit 95");
  EXPECT_EQ(doctor_exit_code(checks), 0);
  EXPECT_EQ(checks.size(), 15U);
}

TEST(Doctor, ThePi5WithTheWrongExecutorCpu) {
  const auto m = by_id(run_doctor(input("rt-pi5", {2}, {0, 1, 3})));
  EXPECT_EQ(m.at("cmdline.isolcpus").status, CheckStatus::kWarn);
  EXPECT_EQ(m.at("cmdline.isolcpus").detail,
            "isolcpus=domain,managed_irq,3 does not cover [rt] cpus 2 (keeps other tasks off the executor's CPUs)");
  EXPECT_NE(m.at("cmdline.isolcpus").fix.find("add isolcpus=2 to the kernel command line"), std::string::npos);
  EXPECT_EQ(m.at("sched.fair_server").status, CheckStatus::kWarn);
  EXPECT_EQ(m.at("sched.fair_server").fix.rfind("echo 0 | sudo tee /sys/kernel/debug/sched/fair_server/cpu2/runtime\n", 0), 0U);
  EXPECT_EQ(m.at("irq.affinity").status, CheckStatus::kWarn);
  EXPECT_EQ(m.at("irq.affinity").detail, "3 IRQs may run on executor CPUs 2 (9, 21, 37)");
  EXPECT_NE(m.at("irq.affinity").fix.find("echo 0-1,3 | sudo tee $f"), std::string::npos);
}

TEST(Doctor, AStockX86BoxGetsEveryFix) {
  const auto checks = run_doctor(input("stock-x86", {3}, {0, 1, 2}));
  const auto m = by_id(checks);
  const auto status = [&](const char* id) { return m.at(id).status; };
  EXPECT_EQ(status("kernel.preempt_rt"), CheckStatus::kWarn);
  EXPECT_NE(m.at("kernel.preempt_rt").fix.find("linux-image-rt-amd64"), std::string::npos);
  EXPECT_EQ(status("config.cpus"), CheckStatus::kPass);
  // isolcpus=3 appears only after "--": those words go to init, not the kernel.
  EXPECT_EQ(status("cmdline.isolcpus"), CheckStatus::kWarn);
  EXPECT_EQ(m.at("cmdline.isolcpus").detail, "no isolcpus= on the command line (keeps other tasks off the executor's CPUs)");
  EXPECT_EQ(status("cmdline.nohz_full"), CheckStatus::kWarn);
  EXPECT_EQ(status("cmdline.rcu_nocbs"), CheckStatus::kWarn);
  EXPECT_EQ(status("cmdline.threadirqs"), CheckStatus::kWarn);
  EXPECT_EQ(status("cpufreq.governor"), CheckStatus::kWarn);
  EXPECT_EQ(m.at("cpufreq.governor").detail,
            "cpu0: powersave, cpu1: powersave, cpu2: powersave, cpu3: powersave: frequency changes add latency spikes");
  EXPECT_NE(m.at("cpufreq.governor").fix.find("echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor"),
            std::string::npos);
  EXPECT_EQ(status("sched.rt_runtime"), CheckStatus::kWarn);
  EXPECT_NE(m.at("sched.rt_runtime").fix.find("sudo sysctl -w kernel.sched_rt_runtime_us=-1"), std::string::npos);
  EXPECT_EQ(status("sched.fair_server"), CheckStatus::kWarn);
  EXPECT_EQ(m.at("sched.fair_server").detail.rfind("runtime CPU 3: 50000000 ns: any runnable normal task", 0), 0U);
  EXPECT_EQ(status("limits.rtprio"), CheckStatus::kFail);
  EXPECT_NE(m.at("limits.rtprio").detail.find("limit 0 < executor_priority 80 and no CAP_SYS_NICE"), std::string::npos);
  EXPECT_NE(m.at("limits.rtprio").fix.find("LimitRTPRIO=80"), std::string::npos);
  EXPECT_NE(m.at("limits.rtprio").fix.find("setcap cap_sys_nice+ep"), std::string::npos);
  EXPECT_EQ(status("limits.rttime"), CheckStatus::kPass);
  EXPECT_EQ(status("limits.memlock"), CheckStatus::kWarn);
  EXPECT_NE(m.at("limits.memlock").fix.find("LimitMEMLOCK=infinity"), std::string::npos);
  EXPECT_EQ(status("memory.swap"), CheckStatus::kWarn);
  EXPECT_EQ(m.at("memory.swap").detail.rfind("swap on /dev/nvme0n1p3:", 0), 0U);
  EXPECT_EQ(status("irq.affinity"), CheckStatus::kWarn);
  EXPECT_EQ(m.at("irq.affinity").detail, "4 IRQs may run on executor CPUs 3 (8, 9, 16, 120)");
  EXPECT_EQ(status("board.gpio"), CheckStatus::kWarn);
  EXPECT_EQ(doctor_exit_code(checks), 1);
  const std::string text = format_doctor(checks);
  EXPECT_NE(text.find("FAIL  RLIMIT_RTPRIO (real-time priority allowed): limit 0"), std::string::npos) << text;
  EXPECT_NE(text.find("      fix: now: `sudo sysctl -w kernel.sched_rt_runtime_us=-1`\n"), std::string::npos);
  EXPECT_NE(text.find("2 passed, 12 warnings, 1 failed\n"), std::string::npos) << text;
}

TEST(Doctor, WithoutConfiguredCpusItSaysWhatToChoose) {
  const auto m = by_id(run_doctor(input("stock-x86", {})));
  EXPECT_EQ(m.at("config.cpus").status, CheckStatus::kWarn);
  EXPECT_EQ(m.at("config.cpus").fix, "[rt] cpus: 3 and host_cpus: 0-2, then isolate CPU 3 (see the checks below)");
  EXPECT_EQ(m.at("irq.affinity").detail, "no [rt] cpus to check");
}

TEST(Doctor, ACpuThatIsNotOnlineFails) {
  const auto m = by_id(run_doctor(input("rt-pi5", {7})));
  EXPECT_EQ(m.at("config.cpus").status, CheckStatus::kFail);
  EXPECT_EQ(m.at("config.cpus").detail, "[rt] cpus 7 but the online CPUs are 0-3");
}

TEST(Doctor, AMissingTreeWarnsInsteadOfCrashing) {
  const auto checks = run_doctor(input("does-not-exist", {1}));
  EXPECT_EQ(checks.size(), 15U);
  EXPECT_EQ(by_id(checks).at("sched.rt_runtime").detail, "cannot read /proc/sys/kernel/sched_rt_runtime_us");
}

TEST(DoctorProbe, IsolcpusFlagsAndKernelVersions) {
  EXPECT_EQ(doctor::isolcpus_cpus("domain,managed_irq,2-3"), (std::vector<int>{2, 3}));
  EXPECT_EQ(doctor::isolcpus_cpus("1,3"), (std::vector<int>{1, 3}));
  EXPECT_EQ(doctor::isolcpus_cpus("nohz,domain"), (std::vector<int>{}));
  EXPECT_EQ(doctor::kernel_version("6.12.25+rpt-rpi-2712"), 612);
  EXPECT_EQ(doctor::kernel_version("5.15.98-rt62"), 515);
  EXPECT_EQ(doctor::kernel_version("garbage"), 0);
}

}  // namespace
}  // namespace rtstep::rt
