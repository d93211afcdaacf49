#pragma once
// The step executor's benchmark (`rtstep bench executor` prints it): the executor under a steady synthetic
// load, beside a reference loop timed the way cyclictest times itself (clock_nanosleep to an absolute
// deadline, then one clock read) and the CPU's spin floor (spin_floor.hpp), on the same CPU. Non-real-time
// orchestration; the measured loops run SCHED_FIFO on `cpu`.

#include <cstdint>
#include <string>
#include <vector>

#include "executor/executor.hpp"
#include "executor/spin_floor.hpp"
#include "util/result.hpp"

namespace rtstep::executor {

struct BenchOptions {
  double rate = 100'000;      // aggregate steps/s
  double duration_s = 20;
  int steppers = 4;
  int cpu = 1;
  int host_cpu = 0;
  int priority = 80;
  std::vector<double> rates;  // --rates: a sweep instead of the single --rate
  double reference_s = 5;     // reference loop duration
  double floor_s = 5;         // spin floor duration (0: skip)
  int64_t reference_interval_us = 200;
  int64_t pulse_ns = 1'000;
  bool json = false;
};

struct Quantiles {
  int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
  uint64_t count = 0;
};

// One executor run at an aggregate rate: its report, its edge lateness, and whether it finished.
struct ExecutorRun {
  double rate = 0;
  ExecutorReport report;
  Quantiles lateness;
  bool ok = false;
};

inline constexpr int64_t kTargetP99Ns = 2'000;  // the executor's lateness target

// The cyclictest method on the executor's CPU for o.reference_s; `warning` says why it was not real-time.
Quantiles reference_loop(const BenchOptions& o, std::string& warning);
// The spin floor (spin_floor.hpp) on the executor's CPU for o.floor_s.
SpinFloor spin_floor(const BenchOptions& o, std::string& warning);
// One executor over a real ring and the sim backend at `rate` steps/s for o.duration_s; errors: ring or
// executor setup.
Result<ExecutorRun> run_executor_at(const BenchOptions& o, double rate);
// The highest rate whose run finished with p99 within kTargetP99Ns, 0 if none.
double highest_rate_within_target(const std::vector<ExecutorRun>& runs);

}  // namespace rtstep::executor
