#pragma once
// printer.cfg [rt] -> the thread hierarchy (hierarchy.hpp), checked: the one place every rtstep thread
// (executor, HAL threads, host, controller, API, log) takes its placement from. Non-real-time.

#include "config/config.hpp"
#include "rt/hierarchy.hpp"
#include "util/result.hpp"

namespace rtstep::rt {

// Errors start with "[rt] " and name the rule that the keys break.
Result<Hierarchy> hierarchy_from(const config::RtConfig& rt);

}  // namespace rtstep::rt
