#pragma once
// The CPU's own floor under a step loop: how often, and for how long, a thread that never sleeps is kept
// from running (the scheduler tick, interrupts, RT throttling, a hypervisor taking the virtual CPU away).
// A deadline that falls inside such a gap is late by the rest of the gap whatever the executor does, so the
// floor bounds the lateness any step loop can reach on that CPU. `rtstep bench executor` reports it beside
// the executor, so a missed target can be told apart from a slow executor.

#include <cstddef>
#include <cstdint>
#include <span>

namespace rtstep::executor {

struct SpinFloor {
  double seconds = 0;             // how long the loop spun
  uint64_t reads = 0;             // clock reads taken
  uint64_t gaps_over_1us = 0;     // consecutive reads further apart than 1 us ...
  uint64_t gaps_over_10us = 0;
  uint64_t gaps_over_100us = 0;
  uint64_t gaps_over_1ms = 0;
  double lost_fraction = 0;       // share of the time spent in gaps over 1 us
  int64_t longest_gap_ns = 0;
  bool gaps_truncated = false;    // more gaps than the buffer held: the bounds below are low estimates
  // Lateness that a deadline placed at a uniformly random instant exceeds with probability 1 % / 0.1 %:
  // the best p99 / p99.9 any step loop on this CPU could report for densely spread edges.
  int64_t p99_bound_ns = 0;
  int64_t p999_bound_ns = 0;
};

// Spins on CLOCK_MONOTONIC for `seconds` on the calling thread (the caller places it: SCHED_FIFO on the
// executor's CPU), keeping gaps over 1 us in `gap_buffer`. Real-time safe loop: clock reads only, no
// allocation. The summary is computed after the loop.
SpinFloor measure_spin_floor(double seconds, std::span<int64_t> gap_buffer) noexcept;

// The lateness exceeded with probability `tail` by a deadline uniformly placed in `total_ns`, given the
// gaps (the others are taken as 0): the x with sum(max(0, gap - x)) = tail * total_ns. Pure; exposed for
// tests.
int64_t random_deadline_lateness(std::span<const int64_t> gaps_ns, int64_t total_ns, double tail) noexcept;

}  // namespace rtstep::executor
