// `rtstep bench executor`: the step executor under a steady synthetic load (DESIGN.md §1 below the ring),
// beside a reference loop timed the way cyclictest times itself (clock_nanosleep to an absolute deadline,
// then one clock read), on the same CPU, in the same run. Prints lateness quantiles of both, their ratio,
// late edges and stalls. Non-real-time orchestration; the executor and the reference loop run SCHED_FIFO.
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "rt/executor.hpp"
#include "rt/histogram.hpp"
#include "rt/sched.hpp"

namespace rtstep::cli {

namespace {

struct BenchExecutorOptions {
  double rate = 100'000;      // aggregate steps/s
  double duration_s = 20;
  int steppers = 4;
  int cpu = 1;
  int host_cpu = 0;
  int priority = 80;
  double reference_s = 5;     // reference loop duration
  int64_t reference_interval_us = 200;
  int64_t pulse_ns = 1'000;
  bool json = false;
};

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void sleep_until(int64_t t) {
  timespec ts{t / 1'000'000'000, t % 1'000'000'000};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

struct Quantiles {
  int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
  uint64_t count = 0;
};

Quantiles quantiles_of(const rt::LatencyHistogram& h) {
  const auto s = h.snapshot();
  return {s.quantile(0.5), s.quantile(0.99), s.quantile(0.999), s.max_ns, s.count};
}

// The cyclictest method: SCHED_FIFO on `cpu`, sleep to next, read the clock, record now - next, next += interval.
Quantiles reference_loop(const BenchExecutorOptions& o, std::string& warning) {
  rt::LatencyHistogram h;
  std::thread t([&] {
    const std::vector<int> cpus{o.cpu};
    rt::RealtimeRequest request;
    request.priority = o.priority;
    request.cpus = cpus;
    auto placed = rt::make_current_thread_realtime(request);
    if (placed && !placed->warning.empty()) warning = placed->warning;
    const int64_t interval = o.reference_interval_us * 1'000;
    const int64_t end = now_ns() + static_cast<int64_t>(o.reference_s * 1e9);
    for (int64_t next = now_ns() + interval; next < end; next += interval) {
      sleep_until(next);
      h.record(now_ns() - next);
    }
  });
  t.join();
  return quantiles_of(h);
}

// The host: pushes interleaved segments for every stepper, staying `lead` ahead of the clock.
void produce(ipc::SegmentRing& ring, const BenchExecutorOptions& o, int64_t start, int64_t end,
             std::atomic<bool>& failed) {
  const std::vector<int> cpus{o.host_cpu};
  rt::RealtimeRequest request;
  request.priority = 1;
  request.cpus = cpus;
  request.lock_memory = false;
  (void)rt::make_current_thread_realtime(request);  // best effort: pinned, lowest RT priority
  const auto per_stepper = static_cast<int64_t>(1e9 * o.steppers / o.rate);
  constexpr uint32_t kCount = 200;
  constexpr int64_t kLead = 100'000'000;
  for (int64_t t = start; t < end; t += per_stepper * kCount) {
    while (t > now_ns() + kLead) std::this_thread::sleep_for(std::chrono::milliseconds(2));
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

int run_bench_executor(const BenchExecutorOptions& o) {
  if (o.steppers < 1 || o.steppers > static_cast<int>(ipc::kMaxSteppers) || o.rate <= 0 ||
      1e9 * o.steppers / o.rate < static_cast<double>(ipc::kMinStepIntervalNs)) {
    std::cerr << fmt::format("error: {} steppers at {} steps/s need a step interval >= {} ns per stepper\n",
                             o.steppers, o.rate, ipc::kMinStepIntervalNs);
    return 1;
  }
  std::string ref_warning;
  const Quantiles ref = reference_loop(o, ref_warning);

  const std::string name = fmt::format("/rtstep-bench-exec-{}", getpid());
  auto producer = ipc::SegmentRing::create(name, 4096);
  if (!producer) return std::cerr << "error: " << producer.error().message << '\n', 1;
  auto consumer = ipc::SegmentRing::attach(name);
  if (!consumer) return std::cerr << "error: " << consumer.error().message << '\n', 1;
  gpio::SimBackend sim;
  std::vector<gpio::PinSpec> pins;
  rt::ExecutorConfig config;
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
  rt::StepExecutor exec(config, *consumer, sim);
  if (auto st = exec.start(); !st) return std::cerr << "error: " << st.error().message << '\n', 1;
  const int64_t start = now_ns() + 50'000'000;
  const int64_t end = start + static_cast<int64_t>(o.duration_s * 1e9);
  std::atomic<bool> failed{false};
  std::thread host([&] { produce(*producer, o, start, end, failed); });
  host.join();
  const rt::ExecutorReport report = exec.join();
  const Quantiles q = quantiles_of(exec.lateness());
  const double ratio = q.p99 > 0 ? static_cast<double>(ref.p99) / static_cast<double>(q.p99) : 0.0;

  nlohmann::json j = {
      {"rate_steps_per_s", o.rate}, {"duration_s", o.duration_s}, {"steppers", o.steppers}, {"cpu", o.cpu},
      {"status", rt::status_name(report.status)}, {"realtime", report.realtime}, {"steps", report.steps},
      {"edges", q.count},
      {"lateness_ns", {{"p50", q.p50}, {"p99", q.p99}, {"p99_9", q.p999}, {"max", q.max}}},
      {"late_edges_over_10us", report.late_edges}, {"stalls", report.stalls},
      {"longest_stall_ns", report.longest_stall_ns}, {"slack_ns", report.slack_ns},
      {"executor_cpu_s", static_cast<double>(report.cpu_time_ns) / 1e9},
      {"reference", {{"method", "clock_nanosleep TIMER_ABSTIME + clock_gettime (cyclictest)"},
                     {"interval_us", o.reference_interval_us}, {"samples", ref.count},
                     {"p50_ns", ref.p50}, {"p99_ns", ref.p99}, {"p99_9_ns", ref.p999}, {"max_ns", ref.max}}},
      {"p99_ratio_reference_over_executor", ratio}};
  if (o.json) {
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << fmt::format(
        "executor: {} steppers, {:.0f} steps/s for {:.0f} s on CPU {}: {} ({}), {} steps, {} edges\n"
        "  lateness p50 {:.3f} us, p99 {:.3f} us, p99.9 {:.3f} us, max {:.3f} us; {} edges > 10 us; "
        "{} stall(s), longest {:.3f} ms; slack {:.1f} us; cpu {:.2f} s\n"
        "reference (cyclictest method, {} us interval, {} samples): p50 {:.3f} us, p99 {:.3f} us, max {:.3f} us\n"
        "p99 ratio reference / executor: {:.1f}x\n",
        o.steppers, o.rate, o.duration_s, o.cpu, rt::status_name(report.status),
        report.realtime ? "SCHED_FIFO" : "not real-time", report.steps, q.count, q.p50 / 1e3, q.p99 / 1e3,
        q.p999 / 1e3, q.max / 1e3, report.late_edges, report.stalls, report.longest_stall_ns / 1e6,
        report.slack_ns / 1e3, report.cpu_time_ns / 1e9, o.reference_interval_us, ref.count, ref.p50 / 1e3,
        ref.p99 / 1e3, ref.max / 1e3, ratio);
    if (report.stalls > 0) std::cout << "STALLS happened: the executor did not run for over 1 ms at least once\n";
    if (!ref_warning.empty()) std::cout << "warning: " << ref_warning << '\n';
  }
  return report.status == rt::ExecutorStatus::kFinished && !failed ? 0 : 3;
}

}  // namespace

void add_bench_executor_command(CLI::App& bench, Commands& commands) {
  auto o = std::make_shared<BenchExecutorOptions>();
  CLI::App* cmd = bench.add_subcommand("executor", "Step executor lateness under load, beside a cyclictest-style loop");
  cmd->add_option("--rate", o->rate, "Aggregate steps per second (default 100000)");
  cmd->add_option("--duration", o->duration_s, "Seconds of stepping (default 20)");
  cmd->add_option("--steppers", o->steppers, "Steppers, 1..16 (default 4)");
  cmd->add_option("--cpu", o->cpu, "CPU of the executor and the reference loop (default 1)");
  cmd->add_option("--host-cpu", o->host_cpu, "CPU of the producing host thread (default 0)");
  cmd->add_option("--priority", o->priority, "SCHED_FIFO priority (default 80)");
  cmd->add_option("--reference", o->reference_s, "Seconds of the reference loop (default 5)");
  cmd->add_option("--pulse", o->pulse_ns, "Step pulse width in ns (default 1000)");
  cmd->add_flag("--json", o->json, "One JSON object on stdout");
  commands.push_back({cmd, [o] { return run_bench_executor(*o); }});
}

}  // namespace rtstep::cli
