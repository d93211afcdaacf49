#pragma once
// systemd unit files for the split deployment (DESIGN.md §2): the executor process (`rtstep rt`, pinned to
// the isolated CPUs at SCHED_FIFO) and the host (`rtstep run --connect`, on the host CPUs), with the
// limits the runtime needs (LimitRTPRIO=, LimitMEMLOCK=infinity, LimitRTTIME=infinity). Takes plain values;
// the cli turns [rt] into them. Non-real-time.

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
};

struct UnitFile {
  std::string name;  // "rtstep-rt.service"
  std::string text;
};

// The executor unit and the host unit. Errors: relative paths, priorities outside 0..99.
Result<std::vector<UnitFile>> make_units(const UnitParams& params);

}  // namespace rtstep::rt
