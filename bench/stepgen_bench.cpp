// stepgen micro-benchmarks, and the host pipeline (parse, plan, solve, compress) on the zig-zag print.
// Targets (issue 3): the whole pipeline >= 500 M steps/s of wall time (items_per_second of
// BM_HostPipelineZigzag counts steps); per step, the solver and the compressor a few ns each.
#include <benchmark/benchmark.h>

#include <cmath>
#include <deque>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/config.hpp"
#include "gcode/gcode.hpp"
#include "motion/motion.hpp"
#include "stepgen/stepgen.hpp"

namespace {

using namespace rtstep;

config::StepperConfig stepper(const char* name, char axis, double rotation_distance, double max) {
  config::StepperConfig s;
  s.name = name;
  s.axis = axis;
  s.microsteps = 16;
  s.rotation_distance = rotation_distance;
  s.position_max = max;
  s.homing_speed = 50;
  return s;
}

// examples/printer.cfg's mechanics: 80 steps/mm X/Y, 400 Z, rotation_distance 33.5 for E.
config::MachineConfig example_machine() {
  config::MachineConfig m;
  m.printer.kinematics = "cartesian";
  m.printer.max_velocity = 300;
  m.printer.max_accel = 3000;
  m.printer.max_z_velocity = 5;
  m.printer.max_z_accel = 100;
  m.steppers = {stepper("stepper_x", 'x', 40, 235), stepper("stepper_y", 'y', 40, 235),
                stepper("stepper_z", 'z', 8, 250), stepper("extruder", 'e', 33.5, 0)};
  m.steppers[3].max_extrude_only_distance = 100;
  return m;
}

// The same lines as /work/shared/bench/gen_zigzag.py.
std::string zigzag(int n) {
  std::string out = "G28\nG90\nM83\nG1 Z0.3 F600\nG1 X10 Y10 F6000\n";
  double y = 10;
  bool right = true;
  int moves = 0;
  while (moves < n) {
    const double x = right ? 190.0 : 10.0;
    out += fmt::format("G1 X{:.3f} Y{:.3f} E{:.5f} F6000\n", x, y, 180 * 0.033);
    if (++moves >= n) break;
    y += 0.4;
    if (y > 190.0) {
      y = 10;
      out += fmt::format("G1 Z{:.3f} F600\n", 0.3 + 0.2 * (moves / 900 + 1));
    }
    out += fmt::format("G1 X{:.3f} Y{:.3f} E{:.5f} F6000\n", x, y, 0.4 * 0.033);
    ++moves;
    right = !right;
  }
  return out + "M400\n";
}

struct NullSink final : stepgen::RecordSink {
  uint64_t records = 0;
  Status push(const ipc::Record&) override { ++records; return Ok{}; }
};

void BM_HostPipelineZigzag(benchmark::State& state) {
  const config::MachineConfig machine = example_machine();
  const auto kinematics = *motion::Kinematics::create(machine);
  const std::string text = zigzag(static_cast<int>(state.range(0)));
  uint64_t steps = 0;
  for (auto _ : state) {
    NullSink sink;
    stepgen::StepGenerator generator(machine, kinematics, motion::initial_position(machine), 0, 1000, sink);
    motion::Toolhead toolhead(machine, kinematics, generator, "zigzag.gcode");
    std::istringstream in(text);
    gcode::Reader reader(in, "zigzag.gcode");
    std::string reply;
    while (reader.next() == gcode::ReadStatus::kCommand) {
      if (!toolhead.execute(reader.command(), reply)) state.SkipWithError("motion error");
    }
    if (!toolhead.finish()) state.SkipWithError("finish failed");
    steps = 0;
    for (std::size_t i = 0; i < generator.stepper_count(); ++i) steps += generator.totals(i).steps;
    benchmark::DoNotOptimize(sink.records);
  }
  state.SetItemsProcessed(static_cast<int64_t>(steps) * static_cast<int64_t>(state.iterations()));
  state.counters["steps"] = static_cast<double>(steps);
}
BENCHMARK(BM_HostPipelineZigzag)->Arg(2000)->Unit(benchmark::kMillisecond);

// One 180 mm X move with ramps, solved: ns per step (items_per_second).
void BM_SolveMove(benchmark::State& state) {
  motion::Move move;
  move.end = {180, 0, 0, 0};
  move.distance = 180;
  move.axis_ratio = {1, 0, 0, 0};
  motion::plan_trapezoid(move, 100, 3000);
  stepgen::StepBuffer buffer;
  for (auto _ : state) {
    stepgen::StepSolver solver(80, {1, 0, 0, 0}, 0);
    buffer.clear();
    benchmark::DoNotOptimize(solver.solve(move, 0, buffer));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 14400);
}
BENCHMARK(BM_SolveMove);

// Compressing the steps of a ramp (the hard part: sqrt-shaped times) and of a whole move.
void BM_Compress(benchmark::State& state) {
  motion::Move move;
  const double length = static_cast<double>(state.range(0));
  move.end = {length, 0, 0, 0};
  move.distance = length;
  move.axis_ratio = {1, 0, 0, 0};
  motion::plan_trapezoid(move, 100, 3000);
  std::vector<int64_t> times;
  stepgen::StepSolver solver(80, {1, 0, 0, 0}, 0);
  solver.solve(move, 0, times);
  std::vector<ipc::StepSegment> out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(stepgen::compress(times, 0, 1, 1000, out));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(times.size()));
  state.counters["steps_per_segment"] = static_cast<double>(times.size()) / static_cast<double>(out.size());
}
BENCHMARK(BM_Compress)->Arg(3)->Arg(180);

// The same moves as StepGenerator compresses them: ramps step by step, the cruise from its closed form
// (StepCompressor::add_cruise). Side by side with BM_Compress, per step of the whole move.
void BM_CompressClosedFormCruise(benchmark::State& state) {
  motion::Move move;
  const double length = static_cast<double>(state.range(0));
  move.end = {length, 0, 0, 0};
  move.distance = length;
  move.axis_ratio = {1, 0, 0, 0};
  motion::plan_trapezoid(move, 100, 3000);
  stepgen::StepSolver solver(80, {1, 0, 0, 0}, 0);
  const stepgen::MoveSteps steps = solver.take(move, 0);
  std::deque<ipc::StepSegment> out;
  for (auto _ : state) {
    out.clear();
    stepgen::StepCompressor compressor(0, 1000);
    auto& pending = compressor.pending();
    steps.times(0, steps.accel_end(), pending.append(static_cast<std::size_t>(steps.accel_end())));
    compressor.add_cruise(steps, steps.accel_end(), steps.cruise_end(), out);
    steps.times(steps.cruise_end(), steps.count(),
                pending.append(static_cast<std::size_t>(steps.count() - steps.cruise_end())));
    compressor.compress(true, out);
    benchmark::DoNotOptimize(out.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * steps.count());
  state.counters["steps_per_segment"] = static_cast<double>(steps.count()) / static_cast<double>(out.size());
}
BENCHMARK(BM_CompressClosedFormCruise)->Arg(180);

}  // namespace

BENCHMARK_MAIN();
