#pragma once
// monotonic_ns: CLOCK_MONOTONIC in nanoseconds, the one clock of rtstep's deadlines (ring records, the
// executor, periodic threads, benchmarks). Real-time safe: one clock_gettime (a vDSO call), nothing else.

#include <time.h>

#include <cstdint>

namespace rtstep {

inline int64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace rtstep
