// `rtstep bench gpio`: ns per GPIO write on the chosen backend, so users can compare backends on their board.
#include <iostream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "gpio/hardware.hpp"

namespace rtstep::cli {
namespace {

struct BenchGpioOptions {
  std::string backend = "sim";
  std::string pins;  // comma-separated; required for hardware backends
  uint64_t writes = 1'000'000;
  bool json = false;
};

std::vector<gpio::PinSpec> parse_pins(const std::string& list) {
  std::vector<gpio::PinSpec> pins;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    if (!name.empty()) pins.push_back(gpio::PinSpec{name, false});
  }
  return pins;
}

int run_bench_gpio(const BenchGpioOptions& options) {
  gpio::BackendChoice choice;
  if (options.backend == "auto") {
    choice = gpio::choose_backend();
  } else {
    auto kind = gpio::parse_backend_kind(options.backend);
    if (!kind) {
      std::cerr << "rtstep bench gpio: " << kind.error().message << '\n';
      return exit_code::kUsage;
    }
    choice = {*kind, "chosen with --backend"};
  }
  std::vector<gpio::PinSpec> pins = parse_pins(options.pins);
  if (pins.empty()) {
    if (choice.kind != gpio::BackendKind::kSim) {
      // Toggling pins of a real board could move a motor or fire a heater: the user names them.
      std::cerr << "rtstep bench gpio: the " << gpio::backend_name(choice.kind)
                << " backend drives real pins: name free ones with --pins (e.g. --pins gpio20,gpio21)\n";
      return exit_code::kUsage;
    }
    pins = parse_pins("sim0,sim1,sim2,sim3");
  }
  auto backend = gpio::open_backend(choice.kind);
  if (!backend) {
    std::cerr << "rtstep bench gpio: " << backend.error().message << '\n';
    return exit_code::kFault;
  }
  if (auto configured = (*backend)->configure(pins); !configured) {
    std::cerr << "rtstep bench gpio: " << configured.error().message << '\n';
    return exit_code::kUsage;
  }
  const gpio::WriteCost cost = gpio::measure_write_cost(**backend, pins.size(), options.writes);
  if (options.json) {
    nlohmann::json j = {{"backend", gpio::backend_name(choice.kind)}, {"reason", choice.reason},
                        {"pins", pins.size()}, {"writes", cost.writes},
                        {"ns_per_write", {{"median", cost.median_ns}, {"p99", cost.p99_ns}, {"min", cost.min_ns},
                                          {"max", cost.max_ns}}}};
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << fmt::format("backend {} ({})\n{} writes of {} pins: median {:.1f} ns/write, p99 {:.1f}, min {:.1f}, "
                             "max {:.1f} (per-write averages over batches of 1000)\n",
                             gpio::backend_name(choice.kind), choice.reason, cost.writes, pins.size(), cost.median_ns,
                             cost.p99_ns, cost.min_ns, cost.max_ns);
  }
  return 0;
}

}  // namespace

void add_bench_gpio_command(CLI::App& bench, Commands& commands) {
  auto options = std::make_shared<BenchGpioOptions>();
  CLI::App* gpio = bench.add_subcommand("gpio", "Measure the cost of one GPIO write on a backend");
  gpio->add_option("--backend", options->backend, "sim, gpiod, rpi4, rpi5 or auto")->capture_default_str();
  gpio->add_option("--pins", options->pins, "Comma-separated pins to toggle (required for hardware backends)");
  gpio->add_option("--writes", options->writes, "Number of writes")->capture_default_str()->check(CLI::Range(1000u, 1'000'000'000u));
  gpio->add_flag("--json", options->json, "Print one JSON object");
  commands.push_back({gpio, [options] { return run_bench_gpio(*options); }});
}

}  // namespace rtstep::cli
