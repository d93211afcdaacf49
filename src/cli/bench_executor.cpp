// `rtstep bench executor`: the command line and the printing of the executor benchmark (executor/bench.hpp).
// Prints lateness quantiles, their ratio to the reference loop, late edges and stalls; with --rates, one
// executor run per rate and the highest rate that kept p99 within 2 us.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "executor/bench.hpp"
#include "ipc/ipc.hpp"

namespace rtstep::cli {

namespace {

using executor::BenchOptions;
using executor::ExecutorRun;
using executor::Quantiles;
using executor::kTargetP99Ns;

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

void print_run(const BenchOptions& o, const ExecutorRun& r) {
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

void print_floor(const BenchOptions& o, const executor::SpinFloor& f) {
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


// The executor's p99 against the reference loop's, in words that read right whichever is better (a ratio
// printed as "0.0x" says nothing).
std::string compare_p99(int64_t reference_ns, int64_t executor_ns) {
  if (reference_ns <= 0 || executor_ns <= 0) {
    return fmt::format("not compared (reference {:.3f} us, executor {:.3f} us: one has no late sample)", reference_ns / 1e3,
                       executor_ns / 1e3);
  }
  const double ratio = static_cast<double>(reference_ns) / static_cast<double>(executor_ns);
  if (ratio >= 1.0) return fmt::format("the executor's is {:.1f}x smaller than the reference loop's", ratio);
  return fmt::format("the executor's is {:.1f}x LARGER than the reference loop's: it was preempted or stalled "
                     "(see stalls above; TUNING.md)", 1.0 / ratio);
}

int run_bench_executor(const BenchOptions& o) {
  const std::vector<double> rates = o.rates.empty() ? std::vector<double>{o.rate} : o.rates;
  for (double rate : rates) {
    if (o.steppers < 1 || o.steppers > static_cast<int>(ipc::kMaxSteppers) || rate <= 0 ||
        1e9 * o.steppers / rate < static_cast<double>(ipc::kMinStepIntervalNs)) {
      std::cerr << fmt::format("rtstep bench executor: {} steppers at {} steps/s need a step interval >= {} ns per stepper\n",
                               o.steppers, rate, ipc::kMinStepIntervalNs);
      return exit_code::kUsage;
    }
  }
  std::string warning;
  const Quantiles ref = executor::reference_loop(o, warning);
  const bool measure_floor = o.floor_s > 0;
  const executor::SpinFloor floor = measure_floor ? executor::spin_floor(o, warning) : executor::SpinFloor{};
  std::vector<ExecutorRun> runs;
  for (double rate : rates) {
    auto run = executor::run_executor_at(o, rate);
    if (!run) return std::cerr << "rtstep bench executor: " << run.error().message << '\n', exit_code::kFault;
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
    if (measure_floor) j["spin_floor"] = floor_json(floor);
    if (!o.rates.empty()) {
      j["sweep"] = nlohmann::json::array();
      for (const ExecutorRun& r : runs) j["sweep"].push_back(run_json(r));
      j["highest_rate_p99_within_2us"] = executor::highest_rate_within_target(runs);
    }
    std::cout << j.dump(2) << '\n';
    return all_ok ? exit_code::kOk : exit_code::kFault;
  }
  for (const ExecutorRun& r : runs) print_run(o, r);
  std::cout << fmt::format(
      "reference (cyclictest method, {} us interval, {} samples): p50 {:.3f} us, p99 {:.3f} us, max {:.3f} us\n"
      "p99{}: {}\n",
      o.reference_interval_us, ref.count, ref.p50 / 1e3, ref.p99 / 1e3, ref.max / 1e3,
      runs.size() > 1 ? fmt::format(" at {:.0f} steps/s", first.rate) : "", compare_p99(ref.p99, first.lateness.p99));
  if (measure_floor) print_floor(o, floor);
  if (runs.size() > 1) {
    const double best = executor::highest_rate_within_target(runs);
    std::cout << (best > 0 ? fmt::format("highest swept rate with p99 <= 2 us: {:.0f} steps/s\n", best)
                           : std::string("no swept rate kept p99 <= 2 us\n"));
  }
  if (std::any_of(runs.begin(), runs.end(), [](const ExecutorRun& r) { return r.report.stalls > 0; }))
    std::cout << "STALLS happened: the executor did not run for over 1 ms at least once\n";
  if (!warning.empty()) std::cout << "warning: " << warning << '\n';
  return all_ok ? exit_code::kOk : exit_code::kFault;
}

}  // namespace

void add_bench_executor_command(CLI::App& bench, Commands& commands) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = bench.add_subcommand("executor", "Step executor lateness under load, beside a cyclictest-style loop");
  cmd->add_option("--rate", o->rate, "Aggregate steps per second (default 100000)");
  cmd->add_option("--rates", o->rates, "A sweep: one run of --duration per aggregate rate, e.g. 100000,200000,400000")
      ->delimiter(',');
  cmd->add_option("--duration", o->duration_s, "Seconds of stepping (default 20)");
  cmd->add_option("--steppers", o->steppers, "Steppers, 1..16 (default 4)");
  cmd->add_option("--cpus,--cpu", o->cpu, "CPU of the executor and the reference loop (default 1)");
  cmd->add_option("--host-cpus,--host-cpu", o->host_cpu, "CPU of the producing host thread (default 0)");
  cmd->add_option("--priority", o->priority, "SCHED_FIFO priority (default 80)");
  cmd->add_option("--reference", o->reference_s, "Seconds of the reference loop (default 5)");
  cmd->add_option("--floor", o->floor_s, "Seconds of the spin-floor loop (default 5, 0: skip)");
  cmd->add_option("--pulse", o->pulse_ns, "Step pulse width in ns (default 1000)");
  cmd->add_flag("--json", o->json, "One JSON object on stdout");
  commands.push_back({cmd, [o] { return run_bench_executor(*o); }});
}

}  // namespace rtstep::cli
