// The doctor's system checks: CPU frequency governor, resource limits, swap, IRQ affinity and the board
// (see doctor_probe.hpp).
#include <algorithm>
#include <cstdint>
#include <sstream>

#include "rt/cpu_list.hpp"
#include "rt/doctor_probe.hpp"

namespace rtstep::rt::doctor {

namespace {

constexpr int kCapIpcLock = 14;
constexpr int kCapSysNice = 23;

Check make(std::string id, std::string title) {
  Check c;
  c.id = std::move(id);
  c.title = std::move(title);
  return c;
}

// The soft value of a /proc/self/limits row ("Max realtime priority  0  0"): "unlimited", a number, or "".
std::string soft_limit(const Probe& p, const std::string& row) {
  std::istringstream lines(p.read("proc/self/limits").value_or(""));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(row, 0) != 0) continue;
    std::istringstream rest(line.substr(row.size()));
    std::string soft;
    rest >> soft;
    return soft;
  }
  return "";
}

bool has_capability(const Probe& p, int cap) {
  std::istringstream lines(p.read("proc/self/status").value_or(""));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    const uint64_t bits = std::stoull(line.substr(7), nullptr, 16);
    return ((bits >> cap) & 1U) != 0;
  }
  return false;
}

bool is_cpu_dir(const std::string& name) {
  return name.size() > 3 && name.rfind("cpu", 0) == 0 &&
         std::all_of(name.begin() + 3, name.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
}

const char* const kLimitsNote = " (for this process: run the doctor the way rtstep will run, e.g. under its unit)";

}  // namespace

Check check_governor(const Probe& p) {
  Check c = make("cpufreq.governor", "CPU frequency governor");
  std::string slow;
  int seen = 0;
  for (const auto& cpu : p.list("sys/devices/system/cpu")) {
    if (!is_cpu_dir(cpu)) continue;
    const auto governor = p.read("sys/devices/system/cpu/" + cpu + "/cpufreq/scaling_governor");
    if (!governor) continue;
    ++seen;
    if (*governor != "performance") slow += (slow.empty() ? "" : ", ") + cpu + ": " + *governor;
  }
  if (seen == 0) {
    c.detail = "no cpufreq (fixed frequency, or a VM)";
  } else if (slow.empty()) {
    c.detail = "performance on all " + std::to_string(seen) + " CPUs";
  } else {
    c.status = CheckStatus::kWarn;
    c.detail = slow + ": frequency changes add latency spikes";
    c.fix =
        "now: `echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor`\n"
        "at boot: `sudo cpupower frequency-set -g performance` from a unit, or cpufreq.default_governor=performance "
        "on the kernel command line";
  }
  return c;
}

Check check_rtprio(const Probe& p, const DoctorInput& in) {
  Check c = make("limits.rtprio", "RLIMIT_RTPRIO (real-time priority allowed)");
  const std::string soft = soft_limit(p, "Max realtime priority");
  const bool cap = has_capability(p, kCapSysNice);
  const bool enough = soft == "unlimited" || (!soft.empty() && std::stoi(soft) >= in.executor_priority);
  if (cap || enough) {
    c.detail = cap ? "CAP_SYS_NICE (root or setcap): any priority" : "limit " + soft;
    return c;
  }
  c.status = CheckStatus::kFail;
  c.detail = "limit " + (soft.empty() ? std::string("unknown") : soft) + " < executor_priority " +
             std::to_string(in.executor_priority) + " and no CAP_SYS_NICE: SCHED_FIFO will be refused" + kLimitsNote;
  const std::string prio = std::to_string(in.executor_priority);
  c.fix = "systemd: LimitRTPRIO=" + prio + " in the unit (`rtstep systemd-unit` writes it)\n"
          "login shell: `@rtstep - rtprio " + prio + "` in /etc/security/limits.d/rtstep.conf\n"
          "or: `sudo setcap cap_sys_nice+ep $(command -v rtstep)`, or run as root";
  return c;
}

Check check_rttime(const Probe& p) {
  Check c = make("limits.rttime", "RLIMIT_RTTIME (CPU time without blocking)");
  const std::string soft = soft_limit(p, "Max realtime timeout");
  if (soft.empty() || soft == "unlimited") {
    c.detail = soft.empty() ? "not reported" : "unlimited";
    return c;
  }
  c.status = CheckStatus::kWarn;
  c.detail = soft + " us: a real-time thread that runs that long without sleeping gets SIGXCPU" + kLimitsNote;
  c.fix = "systemd: LimitRTTIME=infinity in the unit";
  return c;
}

Check check_memlock(const Probe& p) {
  Check c = make("limits.memlock", "RLIMIT_MEMLOCK (locked memory)");
  const std::string soft = soft_limit(p, "Max locked memory");
  if (soft == "unlimited" || has_capability(p, kCapIpcLock)) {
    c.detail = soft == "unlimited" ? "unlimited" : "CAP_IPC_LOCK (root or setcap)";
    return c;
  }
  c.status = CheckStatus::kWarn;
  c.detail = "limit " + soft + " bytes: mlockall will be refused and pages may fault in the real-time loop" +
             kLimitsNote;
  c.fix = "systemd: LimitMEMLOCK=infinity in the unit\n"
          "login shell: `@rtstep - memlock unlimited` in /etc/security/limits.d/rtstep.conf";
  return c;
}

Check check_swap(const Probe& p) {
  Check c = make("memory.swap", "swap");
  std::istringstream lines(p.read("proc/swaps").value_or(""));
  std::string devices;
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string device;
    if (words >> device) devices += (devices.empty() ? "" : ", ") + device;
  }
  if (devices.empty()) {
    c.detail = "no swap";
    return c;
  }
  c.status = CheckStatus::kWarn;
  c.detail = "swap on " + devices + ": rtstep locks its own memory, but swapping elsewhere brings I/O bursts";
  c.fix = "now: `sudo swapoff -a`; at boot: remove it from /etc/fstab, or on a Pi `sudo systemctl disable --now "
          "dphys-swapfile`";
  return c;
}

Check check_irq_affinity(const Probe& p, const DoctorInput& in) {
  Check c = make("irq.affinity", "interrupts off executor CPUs");
  if (in.executor_cpus.empty()) {
    c.detail = "no [rt] cpus to check";
    return c;
  }
  std::string on_cpu;
  int count = 0;
  std::vector<std::string> irqs = p.list("proc/irq");
  // Numeric order (9 before 21), the order /proc/interrupts shows.
  std::stable_sort(irqs.begin(), irqs.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (const auto& irq : irqs) {
    const auto list = p.read("proc/irq/" + irq + "/smp_affinity_list");
    if (!list) continue;
    auto cpus = parse_cpu_list(*list);
    if (!cpus) continue;
    const bool overlaps = std::any_of(in.executor_cpus.begin(), in.executor_cpus.end(),
                                      [&](int cpu) { return std::binary_search(cpus->begin(), cpus->end(), cpu); });
    if (!overlaps) continue;
    ++count;
    if (count <= 8) on_cpu += (on_cpu.empty() ? "" : ", ") + irq;
  }
  if (count == 0) {
    c.detail = "no IRQ may run on CPUs " + format_cpu_list(in.executor_cpus);
    return c;
  }
  const std::string host = in.host_cpus.empty() ? "0" : format_cpu_list(in.host_cpus);
  c.status = CheckStatus::kWarn;
  c.detail = std::to_string(count) + " IRQs may run on executor CPUs " + format_cpu_list(in.executor_cpus) + " (" +
             on_cpu + (count > 8 ? ", ..." : "") + ")";
  c.fix = "now: `for f in /proc/irq/*/smp_affinity_list; do echo " + host +
          " | sudo tee $f; done` (per-CPU IRQs refuse; that is fine)\n"
          "at boot: irqaffinity=" + host + " on the kernel command line; stop irqbalance (`sudo systemctl disable --now "
          "irqbalance`)";
  return c;
}

Check check_board(const Probe& p) {
  Check c = make("board.gpio", "board and GPIO backend");
  const std::string model = p.read("proc/device-tree/model").value_or("");
  if (model.rfind("Raspberry Pi 5", 0) == 0 || model.rfind("Raspberry Pi Compute Module 5", 0) == 0) {
    c.detail = model + ": GPIO on RP1; backend mmio-rp1 (/dev/gpiomem0) for step pins, gpiod (gpiochip0) for setup";
  } else if (model.rfind("Raspberry Pi 4", 0) == 0 || model.rfind("Raspberry Pi Compute Module 4", 0) == 0) {
    c.detail = model + ": BCM2711; backend mmio-bcm2711 (/dev/gpiomem) for step pins, gpiod for setup";
  } else if (!model.empty()) {
    c.status = CheckStatus::kWarn;
    c.detail = model + ": no register backend for this board; the gpiod backend works but adds a system call per edge";
    c.fix = "use the gpiod backend, or a Raspberry Pi 4/5 for register-speed step output";
  } else {
    c.status = CheckStatus::kWarn;
    c.detail = "no device-tree model (a PC?): no GPIO header known; use the sim backend to test, gpiod for a GPIO chip";
    c.fix = "for step output use a Raspberry Pi 4/5, or a gpiod-supported GPIO chip";
  }
  return c;
}

}  // namespace rtstep::rt::doctor
