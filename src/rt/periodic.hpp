#pragma once
// Periodic threads, as LinuxCNC's base and servo threads: an ordered list of functions run every period
// at an absolute-time cadence (clock_nanosleep TIMER_ABSTIME on CLOCK_MONOTONIC, deadline += period, so a
// late cycle never shifts the later ones).
//
// Every period runs, in order, late rather than never: a cycle that wakes after its deadline runs then,
// and the periods it fell behind by run back to back until the thread has caught up (as LinuxCNC's
// rtapi_wait). Functions always get the nominal period, so a component that integrates over periods
// (stepgen's DDS, siggen's phase, a ddt) sees every one of them and stays in step with the others.
//
// Every cycle measures the wake-up latency (wake - deadline, as cyclictest does) and the execution time
// of the function list. A cycle whose latency + execution exceeds the period is an overrun: it is counted
// and the first one's figures are kept for a single report ("unexpected real-time delay on servo: 1.31 ms
// > period 1.00 ms"); a cycle that starts a whole period or more after its deadline is a late period.
// Statistics leave the loop through relaxed atomics and a LatencyHistogram; stats() and
// take_overrun_report() read them from another thread.
//
// The sleep is retried on EINTR only. Any other error of clock_nanosleep (EINVAL: a deadline the clock
// refuses) would otherwise spin for ever: the loop stores the errno and stops; stats().sleep_error and
// take_fault_report() tell.
//
// Lifecycle: configure (constructor: the function list is fixed), start (places the thread: thread.hpp),
// cycle (real-time), request_stop + join.

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rt/histogram.hpp"
#include "rt/thread.hpp"
#include "util/result.hpp"

namespace rtstep::rt {

// A function on a periodic thread. Called every period on the real-time path: it must not allocate,
// lock, log or make system calls other than the clock and the sleep. `period_ns` is the nominal period.
using PeriodicFn = void (*)(void* arg, int64_t period_ns) noexcept;

struct PeriodicFunction {
  std::string name;  // for the table ("stepgen.make-pulses")
  PeriodicFn fn = nullptr;
  void* arg = nullptr;
};

struct PeriodicSpec {
  ThreadSpec thread;                        // name (e.g. "rtstep-servo"), policy, priority, CPUs
  std::string label;                        // short name in tables and reports ("servo"); "" = thread name
  int64_t period_ns = 1'000'000;            // > 0
  std::vector<PeriodicFunction> functions;  // run in this order every period
};

// A consistent-enough copy of a periodic thread's counters. Non-real-time.
struct PeriodicStats {
  std::string label;
  int64_t period_ns = 0;
  uint64_t cycles = 0;            // cycles run
  int64_t last_exec_ns = 0;       // execution time of the last cycle (all functions)
  int64_t avg_exec_ns = 0;
  int64_t max_exec_ns = 0;
  int64_t max_cycle_ns = 0;       // max over cycles of latency + execution: what the period must hold
  uint64_t overruns = 0;          // cycles with latency + execution > period
  uint64_t late_periods = 0;      // cycles that started a period or more after their deadline (caught up)
  int sleep_error = 0;            // errno of a failed clock_nanosleep that stopped the thread, else 0
  LatencyHistogram::Snapshot latency;  // wake-up latency, one sample per cycle (min/avg/max, percentiles)
  double utilisation() const noexcept;  // max_cycle_ns / period_ns
  bool utilisation_warning() const noexcept { return utilisation() > 0.5; }
};

class PeriodicThread {
 public:
  explicit PeriodicThread(PeriodicSpec spec);  // configure: may allocate
  ~PeriodicThread();                           // stops and joins
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // Places the thread and starts cycling; the first deadline is `first_deadline_ns` (CLOCK_MONOTONIC), or
  // one period from now when 0. Errors: invalid spec or period, placement refused (thread.hpp).
  // Non-real-time.
  Status start(int64_t first_deadline_ns = 0);
  void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }  // any thread
  void join();  // non-real-time

  const std::string& label() const noexcept { return label_; }
  int64_t period_ns() const noexcept { return spec_.period_ns; }
  const Placement& placement() const noexcept { return thread_.placement(); }
  pid_t tid() const noexcept { return thread_.tid(); }
  PeriodicStats stats() const;  // non-real-time, any thread
  const LatencyHistogram& latency() const noexcept { return latency_; }
  // The first overrun, once: "unexpected real-time delay on servo: 1.31 ms > period 1.00 ms (latency
  // 0.31 ms + execution 1.00 ms)"; nullopt before any overrun and after it was taken. Non-real-time.
  std::optional<std::string> take_overrun_report();
  // "servo stopped: clock_nanosleep failed: Invalid argument" once when a sleep error stopped the loop,
  // else nullopt. Non-real-time.
  std::optional<std::string> take_fault_report();

 private:
  void loop(int64_t first_deadline_ns) noexcept;                               // real-time
  void record(int64_t latency_ns, int64_t exec_ns) noexcept;                   // real-time

  PeriodicSpec spec_;
  std::string label_;
  Thread thread_;
  std::atomic<bool> stop_{false};  // written by any thread, read by the loop
  // Written by the loop only (relaxed); read by stats().
  std::atomic<uint64_t> cycles_{0};
  std::atomic<int64_t> last_exec_{0};
  std::atomic<int64_t> exec_sum_{0};
  std::atomic<int64_t> max_exec_{0};
  std::atomic<int64_t> max_cycle_{0};
  std::atomic<uint64_t> overruns_{0};
  std::atomic<uint64_t> late_{0};
  std::atomic<int> sleep_error_{0};            // errno; release-stored when the loop stops on it
  std::atomic<bool> fault_reported_{false};    // owned by take_fault_report
  std::atomic<int64_t> first_overrun_latency_{0};
  std::atomic<int64_t> first_overrun_exec_{0};
  std::atomic<bool> overrun_recorded_{false};  // release-stored after the two figures above
  std::atomic<bool> overrun_reported_{false};  // owned by take_overrun_report
  LatencyHistogram latency_;
};

// Checks a set of periodic threads before any starts: unique labels, periods > 0 and whole multiples of
// the fastest, and (for real-time policies) a faster thread never below a slower one's priority, so the
// fast thread runs first when both are due. Non-real-time.
Status check_periodic_set(std::span<const PeriodicSpec> specs);

// Starts the threads fastest first with one common first deadline (a whole number of the fastest period
// from now), so their cycles line up as LinuxCNC's do. On an error the threads already started are
// stopped. Non-real-time.
Status start_periodic_set(std::span<PeriodicThread* const> threads);

// "1.31 ms", "25.0 us", "850 ns": a duration for tables and messages. Non-real-time.
std::string format_duration(int64_t ns);

}  // namespace rtstep::rt
