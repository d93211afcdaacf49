// [rt] -> rt::Hierarchy (see tools.hpp).
#include "cli/tools.hpp"

namespace rtstep::cli {

Result<rt::Hierarchy> hierarchy_from(const config::RtConfig& c) {
  rt::Hierarchy h;
  h.executor_priority = c.executor_priority;
  h.base_priority = c.base_priority;
  h.servo_priority = c.servo_priority;
  h.host_priority = c.host_priority;
  h.planner_priority = c.planner_priority;
  h.log_nice = c.log_nice;
  h.cpus = c.cpus;
  h.host_cpus = c.host_cpus;
  h.allow_non_realtime = c.allow_non_realtime;
  if (auto st = rt::check_hierarchy(h); !st) return Error{"[rt] " + st.error().message};
  return h;
}

}  // namespace rtstep::cli
