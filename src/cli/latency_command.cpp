// `rtstep latency`: a cyclictest-style latency test with LinuxCNC's verdict bands (rt/latency.hpp).
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/parse_errors.hpp"
#include "cli/progress.hpp"
#include "cli/tools.hpp"
#include "rt/cpu_list.hpp"
#include "rt/latency_plot.hpp"
#include "rt/thread_table.hpp"

namespace rtstep::cli {

namespace {

int64_t us_to_ns(double us) { return std::llround(us * 1e3); }

nlohmann::json histogram_json(const rt::LatencyHistogram::Snapshot& s) {
  const rt::DisplayBins bins = rt::display_bins(s, 100);
  return {{"bin_width_ns", bins.width_ns}, {"counts", bins.counts}, {"overflow", bins.overflow}};
}

}  // namespace

Result<rt::LoadConfig> parse_load(const std::string& text) {
  rt::LoadConfig load;
  std::istringstream parts(text);
  for (std::string part; std::getline(parts, part, ',');) {
    if (part == "cpu") {
      load.cpu = true;
    } else if (part == "memory" || part == "mem") {
      load.memory = true;
    } else if (part == "io") {
      load.io = true;
    } else if (!part.empty()) {
      return Error{"--load: unknown load \"" + part + "\" (expected cpu, memory, io)"};
    }
  }
  return load;
}

Result<rt::LatencyTestConfig> latency_config(const LatencyOptions& o) {
  int64_t base = 25'000;
  int64_t servo = 1'000'000;
  int priority = 80;
  int servo_priority = -1;  // -1: one below the fastest thread's
  std::vector<int> cpus;
  if (!o.config_path.empty()) {
    auto machine = config::load(o.config_path);
    if (!machine) return machine.error();
    base = machine->rt.base_period_ns;
    servo = machine->rt.servo_period_ns;
    priority = machine->rt.base_priority;
    servo_priority = machine->rt.servo_priority;
    cpus = machine->rt.cpus;
  }
  if (o.base_period_us) base = us_to_ns(*o.base_period_us);
  if (o.servo_period_us) servo = us_to_ns(*o.servo_period_us);
  if (o.priority) {
    priority = *o.priority;
    servo_priority = -1;
  }
  if (!o.cpus.empty()) {
    auto parsed = rt::parse_cpu_list(o.cpus);
    if (!parsed) return Error{"--cpus: " + parsed.error().message};
    cpus = std::move(parsed).value();
  }
  if (o.duration_s <= 0 || o.duration_s > 24 * 3600) return Error{"--duration must be in (0, 86400] s"};
  if (base < 0 || servo < 0) return Error{"periods must be >= 0"};
  rt::LatencyTestConfig c;
  c.duration_ns = std::llround(o.duration_s * 1e9);
  if (base > 0) c.threads.push_back({"base", base, priority, cpus});
  if (servo > 0) {
    const int p = base > 0 ? (servo_priority > 0 ? servo_priority : priority - 1) : priority;
    c.threads.push_back({"servo", servo, p, cpus});
  }
  if (c.threads.empty()) return Error{"no measuring thread: both --base-period and --servo-period are 0"};
  auto load = parse_load(o.load);
  if (!load) return load.error();
  c.load = *load;
  c.hold_dma_latency = !o.no_dma_latency;
  c.allow_non_realtime = o.allow_non_realtime;
  return c;
}

nlohmann::json latency_json(const rt::LatencyReport& r) {
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& t : r.threads) {
    const auto& l = t.stats.latency;
    threads.push_back({{"name", t.config.label},
                       {"period_ns", t.config.period_ns},
                       {"priority", t.config.priority},
                       {"cpus", rt::format_cpu_list(t.config.cpus)},
                       {"realtime", t.realtime},
                       {"samples", l.count},
                       {"latency_ns",
                        {{"min", l.min_ns},
                         {"avg", std::llround(l.mean_ns)},
                         {"max", l.max_ns},
                         {"p50", l.quantile(0.5)},
                         {"p90", l.quantile(0.9)},
                         {"p99", l.quantile(0.99)},
                         {"p99_9", l.quantile(0.999)},
                         {"p99_99", l.quantile(0.9999)}}},
                       {"overruns", t.stats.overruns},
                       {"utilisation", t.stats.utilisation()},
                       {"verdict", rt::band_name(t.band)},
                       {"verdict_meaning", rt::band_meaning(t.band)},
                       {"overrun_report", t.overrun},
                       {"histogram", histogram_json(l)}});
  }
  return {{"duration_s", static_cast<double>(r.duration_ns) / 1e9},
          {"load", r.load},
          {"threads", threads},
          {"advice",
           {{"min_base_period_ns", r.advice.min_base_period_ns},
            {"max_software_step_rate_hz", r.advice.max_step_rate_hz},
            {"executor_slack_ns", r.advice.slack_ns}}},
          {"warnings", r.warnings}};
}

std::string latency_text(const rt::LatencyReport& r) {
  std::string out = fmt::format("rtstep latency: {:.1f} s, background load: {}\n\n", static_cast<double>(r.duration_ns) / 1e9, r.load);
  out += fmt::format("{:<7} {:>9} {:>4} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n", "thread", "period", "prio",
                     "cpus", "samples", "min", "avg", "p99", "p99.9", "max", "overruns", "verdict");
  std::vector<rt::ThreadRow> rows;
  for (const auto& t : r.threads) {
    const auto& l = t.stats.latency;
    const std::string cpus = t.config.cpus.empty() ? "any" : rt::format_cpu_list(t.config.cpus);
    out += fmt::format("{:<7} {:>9} {:>4} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n", t.config.label,
                       rt::format_duration(t.config.period_ns), t.config.priority, cpus, l.count,
                       rt::format_duration(l.min_ns), rt::format_duration(std::llround(l.mean_ns)),
                       rt::format_duration(l.quantile(0.99)), rt::format_duration(l.quantile(0.999)),
                       rt::format_duration(l.max_ns), t.stats.overruns, rt::band_name(t.band));
    rows.push_back(rt::thread_row(t.stats));
  }
  for (const auto& t : r.threads) {
    out += "\n" + t.config.label + " wake-up latency histogram (count, bars on a log scale):\n";
    out += rt::histogram_text(t.stats.latency, 25);
  }
  out += "\n" + rt::format_thread_table(rows) + "\nVerdict (classic bands on the maximum: < 20 us excellent, 20-50 us good, "
         "50-100 us servo only, > 100 us unusable):\n";
  for (const auto& t : r.threads) {
    out += fmt::format("  {}: max {} -> {}: {}\n", t.config.label, rt::format_duration(t.stats.latency.max_ns),
                       rt::band_name(t.band), rt::band_meaning(t.band));
    if (!t.overrun.empty()) {
      out += "  " + t.overrun + ": this host cannot keep that period; `rtstep doctor` lists what to fix (TUNING.md)\n";
    }
  }
  out += fmt::format(
      "  a LinuxCNC-style base thread needs period >= {} (2 x max latency), so software stepping on it reaches\n"
      "  {} steps/s (period <= 1 / (10 x rate)); rtstep's executor needs [rt] slack >= {} (slack: {:g})\n",
      rt::format_duration(r.advice.min_base_period_ns), r.advice.max_step_rate_hz, rt::format_duration(r.advice.slack_ns),
      static_cast<double>(r.advice.slack_ns) / 1e9);
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  return out;
}

void add_latency_command(CLI::App& app, Commands& commands) {
  struct Options {
    LatencyOptions latency;
    bool json = false;
    bool quiet = false;
    std::string svg;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "latency", "Measure wake-up latency like cyclictest (absolute-time clock_nanosleep, SCHED_FIFO) and judge it");
  cmd->add_option("--config,-c", o->latency.config_path, "printer.cfg: periods, priorities and CPUs from [rt]")
      ->check(CLI::ExistingFile);
  cmd->add_option("--duration,-d", o->latency.duration_s, "Seconds to measure (default 10)");
  cmd->add_option("--base-period", o->latency.base_period_us, "Base thread period in us (default 25; 0 = none)");
  cmd->add_option("--servo-period", o->latency.servo_period_us, "Servo thread period in us (default 1000; 0 = none)");
  cmd->add_option("--priority,-p", o->latency.priority, "SCHED_FIFO priority of the fastest thread (default 80)");
  cmd->add_option("--cpus,-a", o->latency.cpus, "CPUs of the measuring threads, e.g. 1 or 2-3 (default [rt] cpus)");
  cmd->add_option("--load", o->latency.load, "Background load while measuring: cpu,memory,io (any subset)");
  cmd->add_flag("--no-dma-latency", o->latency.no_dma_latency, "Do not hold /dev/cpu_dma_latency at 0");
  cmd->add_flag("--allow-non-realtime", o->latency.allow_non_realtime,
                "Measure even when SCHED_FIFO is refused (with a warning)");
  cmd->add_flag("--json", o->json, "Print the report as one JSON object");
  cmd->add_option("--svg", o->svg, "Write the histograms as an SVG (log-scale counts) to this file");
  cmd->add_flag("--quiet,-q", o->quiet, "Print errors only: no progress on stderr");
  commands.push_back({cmd, [o] {
                        auto config = latency_config(o->latency);
                        if (!config) {
                          std::cerr << "rtstep latency: " << config.error().message << '\n';
                          return exit_code::kUsage;
                        }
                        if (const std::string why = unwritable_reason(o->svg); !why.empty()) {
                          std::cerr << "rtstep latency: --svg " << why << '\n';
                          return exit_code::kUsage;
                        }
                        Progress progress(std::cerr, isatty(STDERR_FILENO) != 0,
                                          elapsed_progress("latency", o->latency.duration_s));
                        if (!o->quiet) progress.start();
                        auto report = rt::run_latency_test(*config);
                        progress.stop();
                        if (!report) {
                          std::cerr << "rtstep latency: " << report.error().message << '\n';
                          return exit_code::kFault;
                        }
                        if (!o->svg.empty()) {
                          std::vector<rt::PlotSeries> series;
                          for (const auto& t : report->threads) series.push_back({t.config.label, &t.stats.latency});
                          std::ofstream svg(o->svg);
                          svg << rt::histogram_svg(series);
                          if (!svg.flush()) {
                            std::cerr << "rtstep latency: " << o->svg << ": cannot write (disk full?)\n";
                            return exit_code::kIncomplete;
                          }
                        }
                        std::cout << (o->json ? latency_json(*report).dump(2) + "\n" : latency_text(*report));
                        return exit_code::kOk;
                      }});
}

}  // namespace rtstep::cli
