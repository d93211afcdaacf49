#pragma once
// Step counts read back from a recorded trace (how far a stepper really went, edge by edge) and from a
// run's summary (what the pins saw against what was planned).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "cli/run.hpp"
#include "trace/trace.hpp"

namespace rtstep::cli {

// The lowest and highest count stepper `index` reached over the trace, from its start count.
inline std::pair<int64_t, int64_t> count_range(const trace::Trace& t, std::size_t index, int64_t start) {
  const auto& s = t.header.steppers[index];
  int64_t count = start, low = start, high = start;
  for (const auto& r : t.records) {
    const bool rose = (r.changed >> s.step_pin & 1U) != 0 && (r.levels >> s.step_pin & 1U) != 0;
    if (!rose) continue;
    count += (r.levels >> s.dir_pin & 1U) != 0 ? 1 : -1;
    low = std::min(low, count);
    high = std::max(high, count);
  }
  return {low, high};
}

// Every stepper ends where the plan says, with as many steps on its pin as planned: none lost or extra.
inline void expect_steps_as_planned(const RunSummary& s) {
  for (const auto& stepper : s.steppers) {
    EXPECT_EQ(stepper.position, stepper.planned_position) << stepper.name;
    EXPECT_EQ(stepper.steps, stepper.planned_steps) << stepper.name << ": a step lost or extra";
  }
}

}  // namespace rtstep::cli
