#pragma once
// StepExecutor: turns the records of a SegmentRing into GPIO edges at their absolute deadlines.
//
// One thread (SCHED_FIFO at `priority`, pinned to `cpus`, memory locked) keeps the current segment of every
// stepper and always serves the earliest pending edge across all steppers: a step's rising edge at
// StepSegment::step_time(k), its falling edge `pulse_ns` later (its own event, so a long pulse on one stepper
// never delays another), and a dir change written before the first step of a segment, at least
// `dir_setup_ns` before it (and at least `dir_hold_ns` after the previous falling edge). Edges due within
// `coalesce_ns` of the earliest one are written in one Backend::write, at the latest of their deadlines, so no
// edge is ever early and the others are at most coalesce_ns late.
//
// Waiting: clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) until deadline - slack_ns, then spin on the
// clock. With `virtual_clock` the executor never waits and changes no scheduling: an edge's "write time"
// is its deadline (lateness 0 unless coalescing or a dir setup time held it back), for verifying long jobs
// fast. In virtual mode an empty ring is never an underrun: the executor waits for the host.
//
// Ordering contract with the producer: records arrive in nondecreasing time_ns(). Before serving an edge
// at time t the executor has read every record with time_ns() <= t; when the ring is empty and an edge is
// due, it waits for the host; if the host has still not delivered when now > t + underrun_grace_ns, that is
// an underrun: the executor stops pulsing, drives step pins low and enable pins inactive, and reports
// the stepper and time. A record that breaks the contract (bad kind, invalid segment, time going
// backwards, unknown stepper, a segment starting before the previous segment of its stepper ended, a
// time outside [0, 2^62)) stops the executor the same way with kBadRecord.
//
// The loop (StepLoop::run, private) is real-time safe: no allocation, lock, log or system call other than the clock,
// clock_nanosleep and Backend::write. start() and join() are non-real-time.

#include <atomic>
#include <future>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "rt/histogram.hpp"
#include "util/result.hpp"

namespace rtstep::rt {

struct StepperOutputs {
  std::size_t step_pin = 0;     // backend pin indices
  std::size_t dir_pin = 0;
  std::size_t enable_pin = gpio::kMaxPins;  // kMaxPins = none
  int64_t pulse_ns = 2'000;     // step pulse width (high time), in (0, ipc::kMinStepIntervalNs)
};

struct ExecutorConfig {
  std::vector<StepperOutputs> steppers;  // index = StepSegment::stepper
  int priority = 80;                     // SCHED_FIFO priority
  std::vector<int> cpus;                 // empty = no pinning
  bool allow_non_realtime = true;        // when SCHED_FIFO/mlock is refused: warn and go on
  bool lock_memory = true;               // mlockall(MCL_CURRENT|MCL_FUTURE) (off for sanitizer builds)
  int64_t slack_ns = 50'000;             // sleep until deadline - slack, then spin
  int64_t dir_setup_ns = 200;            // dir level stable before the rising edge
  int64_t dir_hold_ns = 200;             // dir level unchanged after the falling edge
  int64_t coalesce_ns = 1'000;
  int64_t underrun_grace_ns = 2'000'000;
  bool virtual_clock = false;            // no waiting and no scheduling changes (realtime stays false)
};

enum class ExecutorStatus : uint8_t { kRunning, kFinished, kUnderrun, kBadRecord, kStopped };

struct ExecutorReport {
  ExecutorStatus status = ExecutorStatus::kRunning;
  uint64_t steps = 0;             // rising step edges written, all steppers
  uint64_t writes = 0;            // Backend::write calls
  int fault_stepper = -1;         // underrun / bad record: the stepper concerned (-1 if none)
  int64_t fault_time_ns = 0;      // the deadline that could not be served / the bad record's time
  uint64_t fault_record = 0;      // bad record: its 0-based index in the stream
  std::string fault_detail;       // bad record: what is wrong with it ("segment of unknown stepper 9")
  int64_t start_time_ns = 0;      // the first record's time; message() gives times relative to it
  bool realtime = false;          // SCHED_FIFO was obtained
  std::string warning;            // why it is not real-time, when allowed to fall back
  std::string message() const;    // one line for the user
};

class StepExecutor {
 public:
  StepExecutor(ExecutorConfig config, ipc::SegmentRing& ring, gpio::Backend& backend);
  ~StepExecutor();
  StepExecutor(const StepExecutor&) = delete;
  StepExecutor& operator=(const StepExecutor&) = delete;

  // Starts the thread and waits until it is placed (name, memory lock, affinity, SCHED_FIFO). Errors: an
  // invalid configuration, a CPU that cannot be used, scheduling refused and no fallback allowed; the thread
  // has then already ended. Non-real-time.
  Status start();
  // Asks the loop to stop at the next edge (safe stop). Any thread.
  void request_stop() noexcept { stop_requested_.store(true, std::memory_order_relaxed); }
  // Waits for the thread to end (end of stream, fault or stop) and returns what happened. Non-real-time.
  ExecutorReport join();

  // Readable from any thread while running. lateness(): one sample per rising step edge, actual write
  // time - StepSegment::step_time(k) in ns.
  const LatencyHistogram& lateness() const noexcept { return lateness_; }
  uint64_t steps_written() const noexcept { return steps_.load(std::memory_order_relaxed); }
  // True from a successful start() until the loop ends (end of stream, fault or stop). Any thread; the
  // host polls it while waiting for room in the ring, so a dead executor never leaves it waiting.
  bool running() const noexcept { return thread_started_ && !loop_ended_.load(std::memory_order_acquire); }

 private:
  // The thread: placement, then the real-time loop (StepLoop in step_loop.hpp), then report_.
  void thread_main(std::promise<Status> placed);

  ExecutorConfig config_;
  ipc::SegmentRing& ring_;
  gpio::Backend& backend_;
  LatencyHistogram lateness_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> steps_{0};
  std::atomic<bool> loop_ended_{false};
  bool thread_started_ = false;  // set by start() on success
  ExecutorReport report_;
  std::thread thread_;
};

}  // namespace rtstep::rt
