// `rtstep bench executor`: the step executor under a steady synthetic load (DESIGN.md §1 below the ring),
// beside a reference loop timed the way cyclictest times itself (clock_nanosleep to an absolute deadline,
// then one clock read) and the CPU's spin floor (executor/spin_floor.hpp), on the same CPU, in the same run.
// Prints lateness quantiles, their ratio, late edges and stalls; with --rates, one executor run per rate and
// the highest rate that kept p99 within 2 us. Non-real-time orchestration; the measured loops run SCHED_FIFO.
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "executor/executor.hpp"
#include "rt/histogram.hpp"
#include "rt/sched.hpp"
#include "executor/spin_floor.hpp"
#include "util/clock.hpp"

namespace rtstep::cli {

namespace {

struct BenchExecutorOptions {
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

// Runs `body` on a thread placed SCHED_FIFO on the executor's CPU, as the executor itself is placed.
template <typename Body>
void on_executor_cpu(const BenchExecutorOptions& o, std::string& warning, Body body) {
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

// The cyclictest method: sleep to next, read the clock, record now - next, next += interval.
Quantiles reference_loop(const BenchExecutorOptions& o, std::string& warning) {
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

executor::SpinFloor spin_floor(const BenchExecutorOptions& o, std::string& warning) {
  std::vector<int64_t> gaps(std::size_t{1} << 22);  // 32 MiB: hours of a VM's gaps at a few thousand a second
  executor::SpinFloor floor;
  on_executor_cpu(o, warning, [&] { floor = executor::measure_spin_floor(o.floor_s, gaps); });
  return floor;
}

// The host: pushes interleaved segments for every stepper, staying `lead` ahead of the clock.
void produce(ipc::SegmentRing& ring, const BenchExecutorOptions& o, double rate, int64_t start, int64_t end,
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

struct ExecutorRun {
  double rate = 0;
  executor::ExecutorReport report;
  Quantiles lateness;
  bool ok = false;
};

Result<ExecutorRun> run_executor_at(const BenchExecutorOptions& o, double rate) {
  const std::string name = fmt::format("/rtstep-bench-exec-{}", getpid());
  auto producer = ipc::SegmentRing::create(name, 4096);
  if (!producer) return Error{producer.error().message};
  auto consumer = ipc::SegmentRing::attach(name);
  if (!consumer) return Error{consumer.error().message};
  gpio::SimBackend sim;
  std::vector<gpio::PinSpec> pins;
  executor::ExecutorConfig config;
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
  executor::StepExecutor exec(config, *consumer, sim);
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
  run.ok = run.report.status == executor::ExecutorStatus::kFinished && !failed;
  return run;
}

constexpr int64_t kTargetP99Ns = 2'000;

nlohmann::json run_json(const ExecutorRun& r) {
  const Quantiles& q = r.lateness;
  return {{"rate_steps_per_s", r.rate}, {"status", executor::status_name(r.report.status)},
          {"realtime", r.report.realtime}, {"steps", r.report.steps}, {"edges", q.count},
          {"lateness_ns", {{"p50", q.p50}, {"p99", q.p99}, {"p99_9", q.p999}, {"max", q.max}}},
          {"late_edges_over_10us", r.report.late_edges}, {"stalls", r.report.stalls},
          {"longest_stall_ns", r.report.longest_stall_ns}, {"slack_ns", r.report.slack_ns},
          {"executor_cpu_s", static_cast<double>(r.report.cpu_time_ns) / 1e9}};
}

nlohmann::json floor_json(const executor::SpinFloor& f) {
  return {{"seconds", f.seconds}, {"gaps_over_1us", f.gaps_over_1us}, {"gaps_over_10us", f.gaps_over_10us},
          {"gaps_over_100us", f.gaps_over_100us}, {"gaps_over_1ms", f.gaps_over_1ms},
          {"lost_fraction", f.lost_fraction}, {"longest_gap_ns", f.longest_gap_ns},
          {"p99_bound_ns", f.p99_bound_ns}, {"p99_9_bound_ns", f.p999_bound_ns},
          {"gaps_truncated", f.gaps_truncated}};
}

void print_run(const BenchExecutorOptions& o, const ExecutorRun& r) {
  const Quantiles& q = r.lateness;
  std::cout << fmt::format(
      "executor: {} steppers, {:.0f} steps/s for {:.0f} s on CPU {}: {} ({}), {} steps, {} edges\n"
      "  lateness p50 {:.3f} us, p99 {:.3f} us, p99.9 {:.3f} us, max {:.3f} us; {} edges > 10 us; "
      "{} stall(s), longest {:.3f} ms; slack {:.1f} us; cpu {:.2f} s\n",
      o.steppers, r.rate, o.duration_s, o.cpu, executor::status_name(r.report.status),
      r.report.realtime ? "SCHED_FIFO" : "not real-time", r.report.steps, q.count, q.p50 / 1e3, q.p99 / 1e3,
      q.p999 / 1e3, q.max / 1e3, r.report.late_edges, r.report.stalls, r.report.longest_stall_ns / 1e6,
      r.report.slack_ns / 1e3, r.report.cpu_time_ns / 1e9);
}

void print_floor(const BenchExecutorOptions& o, const executor::SpinFloor& f) {
  const double per_s = f.seconds > 0 ? 1.0 / f.seconds : 0.0;
  std::cout << fmt::format(
      "spin floor (a SCHED_FIFO loop reading the clock, {:.1f} s on CPU {}): gaps > 1 us {:.0f}/s, > 10 us "
      "{:.0f}/s, > 100 us {:.1f}/s, > 1 ms {}; {:.3f} % of the time lost; longest {:.3f} us\n"
      "  a deadline at a random instant is late by > {:.3f} us with 1 % probability (p99.9 {:.3f} us){}\n",
      f.seconds, o.cpu, static_cast<double>(f.gaps_over_1us) * per_s, static_cast<double>(f.gaps_over_10us) * per_s,
      static_cast<double>(f.gaps_over_100us) * per_s, f.gaps_over_1ms, 100.0 * f.lost_fraction,
      f.longest_gap_ns / 1e3, f.p99_bound_ns / 1e3, f.p999_bound_ns / 1e3,
      f.gaps_truncated ? " (gap buffer full: low estimates)" : "");
  if (f.p99_bound_ns > kTargetP99Ns)
    std::cout << "  this CPU takes the processor away too often for any step loop to hold p99 <= 2 us here\n";
}

// The highest swept rate whose run finished with p99 within the target, 0 if none.
double highest_rate_within_target(const std::vector<ExecutorRun>& runs) {
  double best = 0;
  for (const ExecutorRun& r : runs)
    if (r.ok && r.lateness.p99 <= kTargetP99Ns) best = std::max(best, r.rate);
  return best;
}

int run_bench_executor(const BenchExecutorOptions& o) {
  const std::vector<double> rates = o.rates.empty() ? std::vector<double>{o.rate} : o.rates;
  for (double rate : rates) {
    if (o.steppers < 1 || o.steppers > static_cast<int>(ipc::kMaxSteppers) || rate <= 0 ||
        1e9 * o.steppers / rate < static_cast<double>(ipc::kMinStepIntervalNs)) {
      std::cerr << fmt::format("error: {} steppers at {} steps/s need a step interval >= {} ns per stepper\n",
                               o.steppers, rate, ipc::kMinStepIntervalNs);
      return 1;
    }
  }
  std::string warning;
  const Quantiles ref = reference_loop(o, warning);
  const std::optional<executor::SpinFloor> floor =
      o.floor_s > 0 ? std::optional(spin_floor(o, warning)) : std::nullopt;
  std::vector<ExecutorRun> runs;
  for (double rate : rates) {
    auto run = run_executor_at(o, rate);
    if (!run) return std::cerr << "error: " << run.error().message << '\n', 1;
    runs.push_back(*run);
  }
  const ExecutorRun& first = runs.front();
  const double ratio =
      first.lateness.p99 > 0 ? static_cast<double>(ref.p99) / static_cast<double>(first.lateness.p99) : 0.0;
  const bool all_ok = std::all_of(runs.begin(), runs.end(), [](const ExecutorRun& r) { return r.ok; });

  if (o.json) {
    nlohmann::json j = run_json(first);
    j.update({{"duration_s", o.duration_s}, {"steppers", o.steppers}, {"cpu", o.cpu},
              {"reference", {{"method", "clock_nanosleep TIMER_ABSTIME + clock_gettime (cyclictest)"},
                             {"interval_us", o.reference_interval_us}, {"samples", ref.count},
                             {"p50_ns", ref.p50}, {"p99_ns", ref.p99}, {"p99_9_ns", ref.p999}, {"max_ns", ref.max}}},
              {"p99_ratio_reference_over_executor", ratio}});
    if (floor) j["spin_floor"] = floor_json(*floor);
    if (!o.rates.empty()) {
      j["sweep"] = nlohmann::json::array();
      for (const ExecutorRun& r : runs) j["sweep"].push_back(run_json(r));
      j["highest_rate_p99_within_2us"] = highest_rate_within_target(runs);
    }
    std::cout << j.dump(2) << '\n';
    return all_ok ? 0 : 3;
  }
  for (const ExecutorRun& r : runs) print_run(o, r);
  std::cout << fmt::format(
      "reference (cyclictest method, {} us interval, {} samples): p50 {:.3f} us, p99 {:.3f} us, max {:.3f} us\n"
      "p99 ratio reference / executor{}: {:.1f}x\n",
      o.reference_interval_us, ref.count, ref.p50 / 1e3, ref.p99 / 1e3, ref.max / 1e3,
      runs.size() > 1 ? fmt::format(" (at {:.0f} steps/s)", first.rate) : "", ratio);
  if (floor) print_floor(o, *floor);
  if (runs.size() > 1) {
    const double best = highest_rate_within_target(runs);
    std::cout << (best > 0 ? fmt::format("highest swept rate with p99 <= 2 us: {:.0f} steps/s\n", best)
                           : std::string("no swept rate kept p99 <= 2 us\n"));
  }
  if (std::any_of(runs.begin(), runs.end(), [](const ExecutorRun& r) { return r.report.stalls > 0; }))
    std::cout << "STALLS happened: the executor did not run for over 1 ms at least once\n";
  if (!warning.empty()) std::cout << "warning: " << warning << '\n';
  return all_ok ? 0 : 3;
}

}  // namespace

void add_bench_executor_command(CLI::App& bench, Commands& commands) {
  auto o = std::make_shared<BenchExecutorOptions>();
  CLI::App* cmd = bench.add_subcommand("executor", "Step executor lateness under load, beside a cyclictest-style loop");
  cmd->add_option("--rate", o->rate, "Aggregate steps per second (default 100000)");
  cmd->add_option("--rates", o->rates, "A sweep: one run of --duration per aggregate rate, e.g. 100000,200000,400000")
      ->delimiter(',');
  cmd->add_option("--duration", o->duration_s, "Seconds of stepping (default 20)");
  cmd->add_option("--steppers", o->steppers, "Steppers, 1..16 (default 4)");
  cmd->add_option("--cpu", o->cpu, "CPU of the executor and the reference loop (default 1)");
  cmd->add_option("--host-cpu", o->host_cpu, "CPU of the producing host thread (default 0)");
  cmd->add_option("--priority", o->priority, "SCHED_FIFO priority (default 80)");
  cmd->add_option("--reference", o->reference_s, "Seconds of the reference loop (default 5)");
  cmd->add_option("--floor", o->floor_s, "Seconds of the spin-floor loop (default 5, 0: skip)");
  cmd->add_option("--pulse", o->pulse_ns, "Step pulse width in ns (default 1000)");
  cmd->add_flag("--json", o->json, "One JSON object on stdout");
  commands.push_back({cmd, [o] { return run_bench_executor(*o); }});
}

}  // namespace rtstep::cli
