// [rt] -> rt::Hierarchy (see hierarchy_config.hpp).
#include "rt/hierarchy_config.hpp"

namespace rtstep::rt {

Result<Hierarchy> hierarchy_from(const config::RtConfig& c) {
  Hierarchy h;
  h.executor_priority = c.executor_priority;
  h.base_priority = c.base_priority;
  h.servo_priority = c.servo_priority;
  h.host_priority = c.host_priority;
  h.planner_priority = c.planner_priority;
  h.log_nice = c.log_nice;
  h.cpus = c.cpus;
  h.host_cpus = c.host_cpus;
  h.allow_non_realtime = c.allow_non_realtime;
  if (auto st = check_hierarchy(h); !st) return Error{"[rt] " + st.error().message};
  return h;
}

}  // namespace rtstep::rt
