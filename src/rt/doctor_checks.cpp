// The doctor's kernel and scheduler checks: PREEMPT_RT, [rt] CPUs, the isolation parameters of the kernel
// command line, threadirqs, RT throttling and the fair server (see doctor_probe.hpp).
#include <algorithm>

#include "rt/cpu_list.hpp"
#include "rt/doctor_probe.hpp"

namespace rtstep::rt::doctor {

namespace {

const char* const kCmdlineHow =
    "kernel command line: /boot/firmware/cmdline.txt on a Raspberry Pi (one line), or GRUB_CMDLINE_LINUX in "
    "/etc/default/grub then `sudo update-grub`; reboot";

Check make(std::string id, std::string title) {
  Check c;
  c.id = std::move(id);
  c.title = std::move(title);
  return c;
}

std::vector<int> online_cpus(const Probe& p) {
  auto cpus = parse_cpu_list(p.read("sys/devices/system/cpu/online").value_or(""));
  return cpus ? std::move(cpus).value() : std::vector<int>{};
}

}  // namespace

Check check_preempt_rt(const Probe& p) {
  Check c = make("kernel.preempt_rt", "PREEMPT_RT kernel");
  const std::string release = p.read("proc/sys/kernel/osrelease").value_or("?");
  const std::string version = p.read("proc/sys/kernel/version").value_or("");
  if (p.preempt_rt()) {
    c.detail = release + " " + version;
    return c;
  }
  c.status = CheckStatus::kWarn;
  c.detail = release + " " + version + " is not PREEMPT_RT: expect wake-up latencies of 100 us or more under load";
  c.fix =
      "Debian: `sudo apt install linux-image-rt-amd64` (arm64: linux-image-rt-arm64), reboot into it\n"
      "Raspberry Pi OS: `sudo WANT_64BIT_RT=1 rpi-update`, then kernel=kernel8_rt.img in /boot/firmware/config.txt\n"
      "check: `uname -v` shows PREEMPT_RT and /sys/kernel/realtime is 1";
  return c;
}

Check check_config_cpus(const Probe& p, const DoctorInput& in) {
  Check c = make("config.cpus", "executor CPUs in [rt]");
  const std::vector<int> online = online_cpus(p);
  if (in.executor_cpus.empty()) {
    c.status = CheckStatus::kWarn;
    c.detail = "[rt] cpus is not set: the executor is not pinned (online CPUs: " + format_cpu_list(online) + ")";
    if (online.size() >= 2) {
      const std::vector<int> rest(online.begin(), online.end() - 1);
      c.fix = "[rt] cpus: " + std::to_string(online.back()) + " and host_cpus: " + format_cpu_list(rest) +
              ", then isolate CPU " + std::to_string(online.back()) + " (see the checks below)";
    }
    return c;
  }
  if (!online.empty() && !cpus_within(in.executor_cpus, online)) {
    c.status = CheckStatus::kFail;
    c.detail = "[rt] cpus " + format_cpu_list(in.executor_cpus) + " but the online CPUs are " + format_cpu_list(online);
    c.fix = "set [rt] cpus to an online CPU, e.g. cpus: " + std::to_string(online.back());
    return c;
  }
  c.detail = "cpus " + format_cpu_list(in.executor_cpus) +
             (in.host_cpus.empty() ? "" : ", host_cpus " + format_cpu_list(in.host_cpus));
  return c;
}

Check check_cmdline_cpus(const Probe& p, const DoctorInput& in, const std::string& key, const std::string& title,
                         const std::string& why) {
  Check c = make("cmdline." + key, title);
  const auto value = p.cmdline_value(key);
  const std::vector<int> listed = value ? isolcpus_cpus(*value) : std::vector<int>{};
  const std::string want = format_cpu_list(in.executor_cpus);
  if (in.executor_cpus.empty()) {
    c.status = value ? CheckStatus::kPass : CheckStatus::kWarn;
    c.detail = value ? key + "=" + *value + " (set [rt] cpus to match)" : "no " + key + "= and no [rt] cpus";
    if (!value) c.fix = "choose [rt] cpus first; then add " + key + "=<those CPUs> to the " + kCmdlineHow;
    return c;
  }
  if (value && cpus_within(in.executor_cpus, listed)) {
    c.detail = key + "=" + *value + " covers [rt] cpus " + want;
    return c;
  }
  c.status = CheckStatus::kWarn;
  c.detail = (value ? key + "=" + *value + " does not cover [rt] cpus " + want : "no " + key + "= on the command line") +
             " (" + why + ")";
  c.fix = "add " + key + "=" + want + " to the " + kCmdlineHow;
  return c;
}

Check check_threadirqs(const Probe& p) {
  Check c = make("cmdline.threadirqs", "threaded interrupt handlers (threadirqs)");
  if (p.preempt_rt()) {
    c.detail = "always on with PREEMPT_RT";
  } else if (p.cmdline_value("threadirqs")) {
    c.detail = "threadirqs is on the command line";
  } else {
    c.status = CheckStatus::kWarn;
    c.detail = "interrupt handlers run in hard-IRQ context and cannot be prioritised below the executor";
    c.fix = std::string("add threadirqs to the ") + kCmdlineHow + " (or use a PREEMPT_RT kernel)";
  }
  return c;
}

Check check_rt_throttling(const Probe& p) {
  Check c = make("sched.rt_runtime", "RT throttling (kernel.sched_rt_runtime_us)");
  const auto runtime = p.read("proc/sys/kernel/sched_rt_runtime_us");
  const std::string period = p.read("proc/sys/kernel/sched_rt_period_us").value_or("1000000");
  if (!runtime) {
    c.status = CheckStatus::kWarn;
    c.detail = "cannot read /proc/sys/kernel/sched_rt_runtime_us";
    return c;
  }
  if (*runtime == "-1") {
    c.detail = "-1: real-time threads are not throttled";
    return c;
  }
  c.status = CheckStatus::kWarn;
  c.detail = *runtime + " us per " + period +
             " us: a real-time thread that runs longer is stopped for the rest of the period (~50 ms stalls)";
  c.fix =
      "now: `sudo sysctl -w kernel.sched_rt_runtime_us=-1`\n"
      "at boot: `echo kernel.sched_rt_runtime_us=-1 | sudo tee /etc/sysctl.d/60-rtstep.conf`";
  return c;
}

Check check_fair_server(const Probe& p, const DoctorInput& in) {
  Check c = make("sched.fair_server", "fair server on executor CPUs (kernel >= 6.12)");
  const std::string release = p.read("proc/sys/kernel/osrelease").value_or("");
  if (kernel_version(release) < 612) {
    c.detail = "kernel " + release + " has no fair server";
    return c;
  }
  if (in.executor_cpus.empty()) {
    c.detail = "no [rt] cpus to check";
    return c;
  }
  const auto isolated = isolcpus_cpus(p.cmdline_value("isolcpus").value_or(""));
  std::string found;
  std::string fix;
  for (const int cpu : in.executor_cpus) {
    const std::string file = "sys/kernel/debug/sched/fair_server/cpu" + std::to_string(cpu) + "/runtime";
    const auto runtime = p.read(file);
    if (!runtime) {
      c.status = CheckStatus::kWarn;
      c.detail = "cannot read /" + file + " (debugfs not mounted, or not root)";
      c.fix = "`sudo mount -t debugfs none /sys/kernel/debug` and run `sudo rtstep doctor`";
      return c;
    }
    found += (found.empty() ? "" : ", ") + ("CPU " + std::to_string(cpu) + ": " + *runtime + " ns");
    const bool isolated_cpu = std::binary_search(isolated.begin(), isolated.end(), cpu);
    if (*runtime != "0" && !isolated_cpu) fix += "echo 0 | sudo tee /" + file + "\n";
  }
  c.detail = "runtime " + found;
  if (fix.empty()) {
    if (found.find(": 0 ns") == std::string::npos) c.detail += " (isolated CPU: no fair task should run there)";
    return c;
  }
  c.status = CheckStatus::kWarn;
  c.detail += ": any runnable normal task preempts the executor for that long every period, even with "
              "sched_rt_runtime_us=-1";
  c.fix = fix + "(not kept across reboots: run it from a oneshot unit before rtstep-rt), or isolate the CPU";
  return c;
}

}  // namespace rtstep::rt::doctor
