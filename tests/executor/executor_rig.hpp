#pragma once
// The executor tests' rig: a real shared-memory ring (test produces, executor consumes), the sim backend or
// a recording backend, and small record builders. Stepper i uses pins 3i (step), 3i+1 (dir), 3i+2 (enable).

#include "executor/executor.hpp"

#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace rtstep::executor::rig {

using gpio::PinMask;
using ipc::PinCommand;
using ipc::Record;
using ipc::StepSegment;

inline int64_t monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline std::string unique_name() {
  static std::atomic<int> counter{0};
  return "/rtstep-exec-test-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

// Lead time of the first record in the real-clock tests: room for the executor thread to start, since a
// record read after its time is an underrun. Sanitizer builds (scripts/tsan.sh) start threads far slower.
// Generous: a loaded 2-core machine has taken longer than 20 ms to start the thread.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int64_t kLeadNs = 1'000'000'000;
#else
constexpr int64_t kLeadNs = 200'000'000;
#endif
constexpr auto kLead = std::chrono::nanoseconds(kLeadNs);

constexpr std::size_t step_pin(std::size_t i) { return 3 * i; }
constexpr std::size_t dir_pin(std::size_t i) { return 3 * i + 1; }
constexpr std::size_t enable_pin(std::size_t i) { return 3 * i + 2; }
constexpr PinMask bit(std::size_t pin) { return PinMask{1} << pin; }

inline StepSegment seg(uint8_t stepper, int64_t first, int64_t interval, uint32_t count, uint8_t dir, int64_t add = 0) {
  StepSegment s;
  s.stepper = stepper;
  s.first_time_ns = first;
  s.interval_ns = interval;
  s.count = count;
  s.dir = dir;
  s.add_ns = add;
  return s;
}

inline Record enable(uint8_t stepper, int64_t t, uint8_t level) {
  PinCommand p;
  p.stepper = stepper;
  p.time_ns = t;
  p.level = level;
  return Record::of(p);
}

inline ExecutorConfig make_config(std::size_t steppers, bool virtual_clock) {
  ExecutorConfig c;
  for (std::size_t i = 0; i < steppers; ++i) c.steppers.push_back({step_pin(i), dir_pin(i), enable_pin(i), 2'000});
  c.virtual_clock = virtual_clock;
  c.lock_memory = false;  // mlockall of a sanitizer's shadow memory would take the machine down
  // Real-clock tests assert steps, order and faults, never timing: a stall of the loaded test machine must not
  // stop them (the lateness guards have their own tests, with lateness made on purpose).
  c.max_lateness_ns = 0;
  return c;
}

// The ring as both sides see it: the executor consumes `consumer`, the test produces into `producer`.
struct Rig {
  explicit Rig(std::size_t steppers, uint32_t capacity = 4096) {
    auto p = ipc::SegmentRing::create(unique_name(), capacity);
    EXPECT_TRUE(p.ok()) << p.error().message;
    producer = std::make_unique<ipc::SegmentRing>(std::move(p.value()));
    auto c = ipc::SegmentRing::attach(producer->name());
    EXPECT_TRUE(c.ok()) << c.error().message;
    consumer = std::make_unique<ipc::SegmentRing>(std::move(c.value()));
    std::vector<gpio::PinSpec> pins;
    for (std::size_t i = 0; i < 3 * steppers; ++i) pins.push_back({"p" + std::to_string(i), false});
    EXPECT_TRUE(sim.configure(pins).ok());
    for (std::size_t i = 0; i < steppers; ++i) sim.track_stepper(step_pin(i), dir_pin(i));
  }
  void push(const Record& r) {
    while (!producer->try_push(r)) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  void push(const StepSegment& s) { push(Record::of(s)); }
  std::unique_ptr<ipc::SegmentRing> producer, consumer;
  gpio::SimBackend sim;
};

// A backend that records every write, for checking the order of edges.
class RecordingBackend final : public gpio::Backend {
 public:
  struct Write {
    PinMask high, low;
    int64_t scheduled, issued;
  };
  RecordingBackend() { writes.reserve(100'000); }
  Status configure(std::span<const gpio::PinSpec>) override { return Ok{}; }
  void write(PinMask high, PinMask low, int64_t scheduled, int64_t issued) noexcept override {
    writes.push_back({high, low, scheduled, issued});
  }
  std::string_view name() const noexcept override { return "recording"; }
  Status configure_inputs(std::span<const gpio::InputSpec>) override { return Ok{}; }
  gpio::InputMask read_inputs() noexcept override { return 0; }
  // Index of the first write that sets (rising) or clears (falling) `pin`, from `from` on; -1 if none.
  int find(std::size_t pin, bool rising, std::size_t from = 0) const {
    for (std::size_t i = from; i < writes.size(); ++i) {
      if (((rising ? writes[i].high : writes[i].low) & bit(pin)) != 0) return static_cast<int>(i);
    }
    return -1;
  }
  std::vector<Write> writes;
};

inline ExecutorReport run_to_end(ExecutorConfig config, ipc::SegmentRing& ring, gpio::Backend& backend) {
  StepExecutor exec(std::move(config), ring, backend);
  const Status st = exec.start();
  EXPECT_TRUE(st.ok()) << st.error().message;
  return exec.join();
}

}  // namespace rtstep::executor::rig
