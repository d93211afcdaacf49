#pragma once
// The one priority hierarchy of rtstep's threads (configured in [rt], applied to every thread):
//
//   rtstep-exec     SCHED_FIFO executor_priority   on cpus (an isolated core)     highest
//   rtstep-base     SCHED_FIFO base_priority       on host_cpus  (periodic base thread, when configured)
//   rtstep-servo    SCHED_FIFO servo_priority      on host_cpus  (periodic servo thread)
//   rtstep-host     SCHED_FIFO host_priority       on host_cpus  (feeds the ring)
//   rtstep-planner  SCHED_FIFO planner_priority    on host_cpus
//   rtstep-log      SCHED_OTHER, nice log_nice     on host_cpus  (logging, progress, any API)   lowest
//
// host_priority or planner_priority 0 means SCHED_OTHER at nice 0. Plain values: the cli turns [rt] into
// a Hierarchy. Non-real-time.

#include <string>
#include <vector>

#include "rt/thread.hpp"
#include "util/result.hpp"

namespace rtstep::rt {

enum class Role { kExecutor, kBase, kServo, kHost, kPlanner, kLog };

const char* role_name(Role role) noexcept;  // "exec", "base", "servo", "host", "planner", "log"

struct Hierarchy {
  int executor_priority = 80;
  int base_priority = 75;
  int servo_priority = 70;
  int host_priority = 60;     // 0 = SCHED_OTHER
  int planner_priority = 50;  // 0 = SCHED_OTHER
  int log_nice = 10;          // 0..19
  std::vector<int> cpus;       // executor
  std::vector<int> host_cpus;  // everything else
  bool lock_memory = true;
  bool allow_non_realtime = true;
};

// Strictly decreasing priorities executor > base > servo > host > planner (a 0 ends the real-time part:
// planner must be 0 when host is), priorities within 1..99, log_nice within 0..19, cpus and host_cpus
// disjoint. Errors name the two keys in conflict.
Status check_hierarchy(const Hierarchy& h);

// The placement of `role`'s thread: name rtstep-<role>, policy, priority or nice, CPUs, memory locking for
// the real-time roles.
ThreadSpec thread_spec(Role role, const Hierarchy& h);

}  // namespace rtstep::rt
