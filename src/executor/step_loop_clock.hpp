#pragma once
// The step loop's clock, sleep and timing constants, shared by its files (step_loop*.cpp). Internal.
// Real-time safe: clock_gettime and clock_nanosleep only.

#include <time.h>

#include <atomic>
#include <cstdint>

namespace rtstep::executor {

inline constexpr int64_t kIdlePollNs = 50'000;         // how often an idle loop looks at the ring
inline constexpr int64_t kRestingPollNs = 1'000'000;   // the shortest resting poll, just after motion (real clock)
inline constexpr int64_t kMaxSleepNs = 1'000'000;      // longest single sleep: heartbeats and stops stay prompt
inline constexpr int64_t kHousekeepingNs = 1'000'000;  // heartbeat period
inline constexpr int64_t kSlackMarginNs = 3'000;       // learned slack = worst recent wake-up + this
inline constexpr uint32_t kVirtualHousekeepingEvery = 4096;  // virtual clock: loop turns between clock reads

inline int64_t real_now() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline void sleep_until(int64_t t) noexcept {
  timespec ts{};
  ts.tv_sec = t / 1'000'000'000;
  ts.tv_nsec = t % 1'000'000'000;
  // EINTR just returns early; every caller re-checks the clock.
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

}  // namespace rtstep::executor
