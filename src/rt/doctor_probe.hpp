#pragma once
// Internal to the doctor: reading the host's /proc and /sys under a root path, and the check functions
// (doctor_checks.cpp, doctor_system.cpp). Non-real-time.

#include <optional>
#include <string>
#include <vector>

#include "rt/doctor.hpp"

namespace rtstep::rt::doctor {

class Probe {
 public:
  explicit Probe(std::string root) : root_(std::move(root)) {}
  // The file's text with trailing whitespace and NULs removed; nullopt when missing or unreadable.
  std::optional<std::string> read(const std::string& relative) const;
  // Names in a directory (empty when missing).
  std::vector<std::string> list(const std::string& relative) const;
  // The kernel command line, without anything after " -- " (those words go to init, not the kernel).
  std::string cmdline() const;
  // The value of `key=` on the command line; nullopt when absent, "" for a bare `key`.
  std::optional<std::string> cmdline_value(const std::string& key) const;
  bool preempt_rt() const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// The CPU list of an isolcpus= value, whose flags ("nohz", "domain", "managed_irq") precede the list.
std::vector<int> isolcpus_cpus(const std::string& value);
// Kernel major * 100 + minor from an osrelease ("6.18.44-fc" -> 618); 0 if unreadable.
int kernel_version(const std::string& osrelease);

Check check_preempt_rt(const Probe& p);
Check check_config_cpus(const Probe& p, const DoctorInput& in);
Check check_cmdline_cpus(const Probe& p, const DoctorInput& in, const std::string& key, const std::string& title,
                         const std::string& why);
Check check_threadirqs(const Probe& p);
Check check_governor(const Probe& p);
Check check_rt_throttling(const Probe& p);
Check check_fair_server(const Probe& p, const DoctorInput& in);
Check check_rtprio(const Probe& p, const DoctorInput& in);
Check check_rttime(const Probe& p);
Check check_memlock(const Probe& p);
Check check_swap(const Probe& p);
Check check_irq_affinity(const Probe& p, const DoctorInput& in);
Check check_board(const Probe& p);

}  // namespace rtstep::rt::doctor
