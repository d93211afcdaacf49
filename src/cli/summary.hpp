#pragma once
// Helpers of the run summary's text (summary.cpp) that `rtstep run` prints beside it. Non-real-time.

#include <string>

#include "cli/run.hpp"

namespace rtstep::cli {

// The job ended before its end: a safety stop, a signal, or an executor fault. Its steppers then stand
// short of the plan by design, and the summary says "stopped" where it would say MISMATCH.
bool ended_early(const RunSummary& summary);

// Where each stepper stopped, in mm of its own travel, beside where the plan would have taken it (the
// config is read again for the steps per mm); "" when the config does not load.
std::string stop_positions(const RunSummary& summary);

}  // namespace rtstep::cli
