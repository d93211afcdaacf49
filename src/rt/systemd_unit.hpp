#pragma once
// systemd unit files for rtstep's two deployments (DESIGN.md §2), with the limits the runtime needs
// (LimitRTPRIO=, LimitMEMLOCK=infinity, LimitRTTIME=infinity):
// - split: the executor process (`rtstep rt`, pinned to the isolated CPUs at SCHED_FIFO) and the host
//   (`rtstep run --connect`, on the host CPUs), which runs one G-code file;
// - the machine's controller (`rtstep serve`, Type=notify with a watchdog; its executor is one of its
//   threads, which places itself), the unit to start at boot for a printer. It conflicts with the other two:
//   one process at a time drives the pins.
// Takes plain values; the cli turns [rt] and its exit codes into them. Non-real-time.

#include <string>
#include <vector>

#include "util/result.hpp"

namespace rtstep::rt {

struct UnitParams {
  std::string binary = "/usr/local/bin/rtstep";  // absolute path
  std::string config;                            // absolute path of printer.cfg
  std::string shm_name = "rtstep";               // the ring's shared-memory name
  std::string backend;                           // `rtstep rt --backend` (empty: the rt default, sim)
  std::string gcode = "/var/lib/rtstep/print.gcode";  // what the host unit runs
  std::string user;                              // User= (empty: root)
  std::vector<int> executor_cpus;                // [rt] cpus
  std::vector<int> host_cpus;                    // [rt] host_cpus
  int executor_priority = 80;
  int host_priority = 60;                        // 0 = SCHED_OTHER
  int host_nice = 0;                             // nice of the host process when host_priority is 0
  int max_priority = 80;                         // the highest priority any rtstep thread uses (LimitRTPRIO=)
  std::string api_path = "/tmp/klippy_uds";      // `rtstep serve --api` (absolute; empty: none)
  std::string pty_path = "/tmp/printer";         // `rtstep serve --pty` (absolute; empty: none)
  int watchdog_s = 10;                           // WatchdogSec= of the serve unit (serve pings at half of it)
  std::vector<int> no_restart_exit_codes;        // serve's exits after which a restart would be wrong
                                                 // (an emergency stop, a bad config): RestartPreventExitStatus=
};

struct UnitFile {
  std::string name;  // "rtstep-rt.service"
  std::string text;
};

// The executor unit, the host unit and the serve unit, in that order. Errors: relative paths, priorities
// outside 0..99, a bad ring name, serve with neither socket nor terminal, a watchdog under 1 s.
Result<std::vector<UnitFile>> make_units(const UnitParams& params);

}  // namespace rtstep::rt
