#pragma once
// Reading the threads of any process from /proc/PID/task (what top -H, chrt -p and taskset -p show):
// name, policy, RT priority, nice, allowed CPUs, last CPU and CPU time. `proc` is the /proc root, so tests
// can point it at a fixture tree. Non-real-time.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace rtstep::rt {

struct ThreadInfo {
  pid_t tid = 0;
  std::string name;            // comm (at most 15 characters)
  std::string policy;          // "FIFO", "RR", "OTHER", "BATCH", "IDLE", "DEADLINE"
  int rt_priority = 0;         // 1..99 for FIFO/RR, 0 otherwise
  int nice = 0;
  std::vector<int> affinity;   // Cpus_allowed_list
  int last_cpu = -1;           // the CPU it last ran on
  uint64_t cpu_ticks = 0;      // utime + stime, in clock ticks
  double cpu_percent = -1;     // over the sampling interval (-1: not sampled)
};

struct ProcessThreads {
  pid_t pid = 0;
  std::string name;            // the process's comm
  std::vector<ThreadInfo> threads;  // by tid
};

// One reading of every thread of `pid`. Errors: no such process, unreadable or malformed files (the
// message names the file). Threads that exit while being read are skipped.
Result<ProcessThreads> read_process_threads(const std::string& proc, pid_t pid);

// Two readings `interval_ms` apart; cpu_percent is the CPU time used in between (100 = one full CPU).
Result<ProcessThreads> sample_process_threads(const std::string& proc, pid_t pid, int interval_ms);

// Parses one /proc/PID/task/TID/stat line (comm may hold spaces and parentheses). Errors name the field.
Result<ThreadInfo> parse_task_stat(const std::string& line);

// Processes whose comm equals `name` or (unless comm_only) whose command line contains it (e.g. "klippy",
// "moonraker", "ustreamer"), excluding `exclude` (the caller itself). Sorted by pid.
std::vector<pid_t> find_processes(const std::string& proc, const std::string& name, pid_t exclude,
                                  bool comm_only = false);
// rtstep's processes: those with a thread named "rtstep" or "rtstep-..." (the names rtstep gives its
// threads; `run` renames its main thread rtstep-host, and with it the process's name), excluding `exclude`
// (the caller). Sorted by pid.
std::vector<pid_t> find_rtstep_processes(const std::string& proc, pid_t exclude);

// The table: TID, NAME, POLICY, PRIO, NICE, AFFINITY, CPU, %CPU.
std::string format_process_threads(const ProcessThreads& p);

}  // namespace rtstep::rt
