#pragma once
// The subcommands of the `rtstep` binary. Each lives in its own file, registers its options on the app and
// returns what to run when the user chose it; main.cpp only lists them.
// Non-real-time.

#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace rtstep::cli {

struct Command {
  CLI::App* app = nullptr;      // the subcommand, for parsed()
  std::function<int()> action;  // runs it; returns the process exit code
};
using Commands = std::vector<Command>;

void add_run_command(CLI::App& app, Commands& commands);  // run_command.cpp
void add_rt_command(CLI::App& app, Commands& commands);     // rt_command.cpp
void add_trace_command(CLI::App& app, Commands& commands);  // trace_command.cpp
void add_bench_command(CLI::App& app, Commands& commands);  // bench_command.cpp (ipc, executor, gpio, soak)
void add_plan_command(CLI::App& app, Commands& commands);  // plan_command.cpp
void add_latency_command(CLI::App& app, Commands& commands);  // latency_command.cpp
void add_threads_command(CLI::App& app, Commands& commands);  // threads_command.cpp
void add_doctor_command(CLI::App& app, Commands& commands);   // doctor_command.cpp
void add_systemd_command(CLI::App& app, Commands& commands);  // systemd_command.cpp
void add_hal_command(CLI::App& app, Commands& commands);      // hal_command.cpp
void add_serve_command(CLI::App& app, Commands& commands);    // serve_command.cpp
// Added under the `bench` subcommand: `rtstep bench gpio` (bench_gpio.cpp), `rtstep bench executor`
// (bench_executor.cpp) and `rtstep bench soak` (bench_soak.cpp).
void add_bench_gpio_command(CLI::App& bench, Commands& commands);
void add_bench_executor_command(CLI::App& bench, Commands& commands);
void add_bench_soak_command(CLI::App& bench, Commands& commands);

}  // namespace rtstep::cli
