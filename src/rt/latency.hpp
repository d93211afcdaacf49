#pragma once
// The latency test behind `rtstep latency`, in the manner of cyclictest and LinuxCNC's latency-histogram:
// measuring threads (PeriodicThreads with no functions) sleep to absolute deadlines with clock_nanosleep
// TIMER_ABSTIME and record the lateness of each wake-up, for a duration, optionally beside a built-in
// background load. The figures are those of `cyclictest -m -p PRIO -a CPU -i PERIOD` run the same way.
// Non-real-time (it starts and reads the real-time threads).

#include <cstdint>
#include <string>
#include <vector>

#include "rt/periodic.hpp"
#include "util/result.hpp"

namespace rtstep::rt {

struct LatencyThreadConfig {
  std::string label;     // "base", "servo"
  int64_t period_ns = 1'000'000;
  int priority = 80;     // SCHED_FIFO
  std::vector<int> cpus; // empty = not pinned
};

struct LoadConfig {
  bool cpu = false;      // one busy thread per online CPU (SCHED_OTHER)
  bool memory = false;   // a thread copying 2 x 32 MiB back and forth
  bool io = false;       // a thread writing and fsync-ing 4 MiB files in `io_dir`
  std::string io_dir = "/tmp";
};

struct LatencyTestConfig {
  std::vector<LatencyThreadConfig> threads;  // checked with check_periodic_set
  int64_t duration_ns = 10'000'000'000;
  bool lock_memory = true;         // mlockall, as cyclictest -m
  bool hold_dma_latency = true;    // write 0 to /dev/cpu_dma_latency and keep it open, as cyclictest does
  bool allow_non_realtime = false; // SCHED_FIFO refused: measure anyway (with a warning) instead of failing
  LoadConfig load;
};

enum class LatencyBand { kExcellent, kGood, kServoOnly, kUnusable };

// The classic bands on the maximum latency: < 20 us excellent, 20-50 us good, 50-100 us servo only,
// >= 100 us unusable.
LatencyBand latency_band(int64_t max_latency_ns) noexcept;
const char* band_name(LatencyBand band) noexcept;     // "excellent", "good", "servo only", "unusable"
const char* band_meaning(LatencyBand band) noexcept;  // one line: what the machine can do

struct LatencyThreadResult {
  LatencyThreadConfig config;
  PeriodicStats stats;      // stats.latency: one sample per wake-up
  bool realtime = false;
  std::string warning;      // placement fallback
  std::string overrun;      // the first overrun's report, "" if none
  LatencyBand band = LatencyBand::kUnusable;
};

// What the fastest (base) thread's maximum supports. A LinuxCNC-style base thread needs its period to hold
// the worst wake-up with half the period to spare (utilisation <= 50 %), and a software step generator
// on it needs period <= 1 / (10 x f_max); the executor needs its spin slack to cover the worst wake-up.
struct StepAdvice {
  int64_t min_base_period_ns = 0;  // 2 x max latency of the base thread
  int64_t max_step_rate_hz = 0;    // 1 / (10 x min_base_period)
  int64_t slack_ns = 0;            // 1.25 x max latency rounded up to 10 us, at least 10 us, at most 10 ms
};
StepAdvice step_advice(int64_t base_max_latency_ns) noexcept;

struct LatencyReport {
  std::vector<LatencyThreadResult> threads;  // in the configured order
  int64_t duration_ns = 0;                   // measured wall time
  std::string load;                          // "none", "cpu+memory+io"
  StepAdvice advice;                         // from the fastest thread
  std::vector<std::string> warnings;         // fallback, no cpu_dma_latency, ...
};

// Runs the test. Errors: a bad thread set (periods, priorities, names), placement refused without
// allow_non_realtime (the message names the missing limit and the fixes).
Result<LatencyReport> run_latency_test(const LatencyTestConfig& config);

}  // namespace rtstep::rt
