// The priority hierarchy (see hierarchy.hpp).
#include "rt/hierarchy.hpp"

#include <algorithm>

namespace rtstep::rt {

namespace {

constexpr std::size_t kStackPrefaultBytes = 256 * 1024;

struct Level {
  const char* key;
  int priority;
};

}  // namespace

const char* role_name(Role role) noexcept {
  switch (role) {
    case Role::kExecutor: return "exec";
    case Role::kBase: return "base";
    case Role::kServo: return "servo";
    case Role::kHost: return "host";
    case Role::kPlanner: return "planner";
    case Role::kLog: return "log";
  }
  return "?";
}

Status check_hierarchy(const Hierarchy& h) {
  const Level levels[] = {{"executor_priority", h.executor_priority}, {"base_priority", h.base_priority},
                          {"servo_priority", h.servo_priority},       {"host_priority", h.host_priority},
                          {"planner_priority", h.planner_priority}};
  for (std::size_t i = 0; i < std::size(levels); ++i) {
    const bool may_be_other = i >= 3;  // host and planner may run SCHED_OTHER
    const int low = may_be_other ? 0 : 1;
    if (levels[i].priority < low || levels[i].priority > 99) {
      return Error{std::string(levels[i].key) + " " + std::to_string(levels[i].priority) + " is outside " +
                   std::to_string(low) + "..99"};
    }
    if (i == 0) continue;
    const Level& above = levels[i - 1];
    if (levels[i].priority == 0 && above.priority == 0) continue;
    if (levels[i].priority >= above.priority) {
      return Error{std::string(levels[i].key) + " " + std::to_string(levels[i].priority) + " must be below " +
                   above.key + " " + std::to_string(above.priority) +
                   " (executor > base > servo > host > planner)"};
    }
  }
  if (h.log_nice < 0 || h.log_nice > 19) return Error{"log_nice " + std::to_string(h.log_nice) + " is outside 0..19"};
  for (const int cpu : h.host_cpus) {
    if (std::find(h.cpus.begin(), h.cpus.end(), cpu) != h.cpus.end()) {
      return Error{"host_cpus: CPU " + std::to_string(cpu) + " is also in cpus"};
    }
  }
  return Ok{};
}

ThreadSpec thread_spec(Role role, const Hierarchy& h) {
  ThreadSpec spec;
  spec.name = std::string("rtstep-") + role_name(role);
  spec.cpus = role == Role::kExecutor ? h.cpus : h.host_cpus;
  spec.allow_non_realtime = h.allow_non_realtime;
  int priority = 0;
  switch (role) {
    case Role::kExecutor: priority = h.executor_priority; break;
    case Role::kBase: priority = h.base_priority; break;
    case Role::kServo: priority = h.servo_priority; break;
    case Role::kHost: priority = h.host_priority; break;
    case Role::kPlanner: priority = h.planner_priority; break;
    case Role::kLog: spec.nice = h.log_nice; break;
  }
  spec.policy = priority > 0 ? Policy::kFifo : Policy::kOther;
  spec.priority = priority;
  if (priority > 0) {
    spec.lock_memory = h.lock_memory;
    spec.prefault_stack_bytes = kStackPrefaultBytes;
  }
  return spec;
}

}  // namespace rtstep::rt
