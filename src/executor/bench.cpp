// The step executor's benchmark (bench.hpp).
#include "executor/bench.hpp"

#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "ipc/ipc.hpp"
#include "rt/histogram.hpp"
#include "rt/sched.hpp"
#include "util/clock.hpp"

namespace rtstep::executor {

namespace {

void sleep_until(int64_t t) {
  timespec ts{t / 1'000'000'000, t % 1'000'000'000};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

Quantiles quantiles_of(const rt::LatencyHistogram& h) {
  const auto s = h.snapshot();
  return {s.quantile(0.5), s.quantile(0.99), s.quantile(0.999), s.max_ns, s.count};
}

// Runs `body` on a thread placed SCHED_FIFO on the executor's CPU, as the executor itself is placed.
template <typename Body>
void on_executor_cpu(const BenchOptions& o, std::string& warning, Body body) {
  std::thread t([&] {
    const std::vector<int> cpus{o.cpu};
    rt::RealtimeRequest request;
    request.priority = o.priority;
    request.cpus = cpus;
    auto placed = rt::make_current_thread_realtime(request);
    if (placed && !placed->warning.empty()) warning = placed->warning;
    body();
  });
  t.join();
}

// The host: pushes interleaved segments for every stepper, staying `lead` ahead of the clock.
void produce(ipc::SegmentRing& ring, const BenchOptions& o, double rate, int64_t start, int64_t end,
             std::atomic<bool>& failed) {
  const std::vector<int> cpus{o.host_cpu};
  rt::RealtimeRequest request;
  request.priority = 1;
  request.cpus = cpus;
  request.lock_memory = false;
  (void)rt::make_current_thread_realtime(request);  // best effort: pinned, lowest RT priority
  const auto per_stepper = static_cast<int64_t>(1e9 * o.steppers / rate);
  constexpr uint32_t kCount = 200;
  constexpr int64_t kLead = 100'000'000;
  for (int64_t t = start; t < end; t += per_stepper * kCount) {
    while (t > monotonic_ns() + kLead) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    for (int i = 0; i < o.steppers; ++i) {
      ipc::StepSegment s;
      s.stepper = static_cast<uint8_t>(i);
      s.first_time_ns = t + per_stepper * i / o.steppers;  // spread: no two steppers share an edge time
      s.interval_ns = per_stepper;
      s.count = kCount;
      s.dir = static_cast<uint8_t>((t / (per_stepper * kCount)) % 2);
      while (!ring.try_push(ipc::Record::of(s))) {
        if (ring.corrupted()) failed = true;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    }
  }
  while (!ring.try_push(ipc::Record::end_of_stream())) std::this_thread::sleep_for(std::chrono::microseconds(100));
}

}  // namespace

// The cyclictest method: sleep to next, read the clock, record now - next, next += interval.
Quantiles reference_loop(const BenchOptions& o, std::string& warning) {
  rt::LatencyHistogram h;
  on_executor_cpu(o, warning, [&] {
    const int64_t interval = o.reference_interval_us * 1'000;
    const int64_t end = monotonic_ns() + static_cast<int64_t>(o.reference_s * 1e9);
    for (int64_t next = monotonic_ns() + interval; next < end; next += interval) {
      sleep_until(next);
      h.record(monotonic_ns() - next);
    }
  });
  return quantiles_of(h);
}

SpinFloor spin_floor(const BenchOptions& o, std::string& warning) {
  std::vector<int64_t> gaps(std::size_t{1} << 22);  // 32 MiB: hours of a VM's gaps at a few thousand a second
  SpinFloor floor;
  on_executor_cpu(o, warning, [&] { floor = measure_spin_floor(o.floor_s, gaps); });
  return floor;
}

Result<ExecutorRun> run_executor_at(const BenchOptions& o, double rate) {
  const std::string name = fmt::format("/rtstep-bench-exec-{}", getpid());
  auto producer = ipc::SegmentRing::create(name, 4096);
  if (!producer) return Error{producer.error().message};
  auto consumer = ipc::SegmentRing::attach(name);
  if (!consumer) return Error{consumer.error().message};
  gpio::SimBackend sim;
  std::vector<gpio::PinSpec> pins;
  ExecutorConfig config;
  for (int i = 0; i < o.steppers; ++i) {
    pins.push_back({fmt::format("step{}", i), false});
    pins.push_back({fmt::format("dir{}", i), false});
    config.steppers.push_back({static_cast<std::size_t>(2 * i), static_cast<std::size_t>(2 * i + 1), gpio::kMaxPins,
                               o.pulse_ns});
  }
  (void)sim.configure(pins);
  config.priority = o.priority;
  config.cpus = {o.cpu};
  config.coalesce_ns = 0;
  config.max_lateness_ns = 0;  // the benchmark measures lateness: it must not stop on it (no motor here)
  StepExecutor exec(config, *consumer, sim);
  if (auto st = exec.start(); !st) return Error{st.error().message};
  const int64_t start = monotonic_ns() + 50'000'000;
  const int64_t end = start + static_cast<int64_t>(o.duration_s * 1e9);
  std::atomic<bool> failed{false};
  std::thread host([&] { produce(*producer, o, rate, start, end, failed); });
  host.join();
  ExecutorRun run;
  run.rate = rate;
  run.report = exec.join();
  run.lateness = quantiles_of(exec.lateness());
  run.ok = run.report.status == ExecutorStatus::kFinished && !failed;
  return run;
}

// The highest swept rate whose run finished with p99 within the target, 0 if none.
double highest_rate_within_target(const std::vector<ExecutorRun>& runs) {
  double best = 0;
  for (const ExecutorRun& r : runs)
    if (r.ok && r.lateness.p99 <= kTargetP99Ns) best = std::max(best, r.rate);
  return best;
}

}  // namespace rtstep::executor
