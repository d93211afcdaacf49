// Scenario tests of `rtstep run`: the whole pipeline on real files, checking the produced step counts,
// final positions and the exact errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "cli/run.hpp"
#include "scratch_dir.hpp"
#include "trace/trace.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;
const std::string kExampleConfig = kSource + "/examples/printer.cfg";
// The example with the lateness guards off, for real-clock runs on a loaded machine (tests/data/).
const std::string kUnguardedConfig = kSource + "/tests/data/example-unguarded.cfg";

class RunTest : public ScratchDirTest {
 protected:
  RunTest() : ScratchDirTest("rtstep-cli") {}
  // A real-clock run uses the example with the lateness guards off, unless a config is given.
  RunSummary run(const std::string& gcode_path, bool virtual_clock = true, std::string config = "") {
    RunOptions options;
    options.config_path = !config.empty() ? std::move(config) : virtual_clock ? kExampleConfig : kUnguardedConfig;
    options.gcode_path = gcode_path;
    options.virtual_clock = virtual_clock;
    return run_job(options, log_);
  }
  std::ostringstream log_;
};

TEST_F(RunTest, ExampleJobEndsWherePlannedOnTheVirtualClock) {
  const RunSummary s = run(kSource + "/examples/square.gcode");
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.executor_status, "finished");
  ASSERT_EQ(s.steppers.size(), 4u);
  for (const auto& stepper : s.steppers) {
    EXPECT_EQ(stepper.position, stepper.planned_position) << stepper.name;
    EXPECT_EQ(stepper.steps, stepper.planned_steps) << stepper.name;
    EXPECT_GT(stepper.steps, 0u) << stepper.name;
  }
  // X: 20 mm from the endstop at 0, at 80 steps/mm (examples/printer.cfg).
  EXPECT_EQ(s.steppers[0].name, "stepper_x");
  EXPECT_EQ(s.steppers[0].planned_position, 1600);
  uint64_t steps = 0;
  for (const auto& stepper : s.steppers) steps += stepper.steps;
  EXPECT_GE(s.lateness.edges, 2 * steps) << "every rise and fall is an edge (dir and enable writes too)";
  EXPECT_NE(log_.str().find("X:20.000 Y:20.000 Z:3.000"), std::string::npos) << log_.str();
}

TEST_F(RunTest, ShortJobOnTheRealClock) {
  const auto gcode = write("short.gcode", "G28\nG1 X5 Y3 F6000\nG1 X0 Y0\nG1 X2\n");
  const RunSummary s = run(gcode, /*virtual_clock=*/false);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.steppers[0].planned_position, 160);
  EXPECT_EQ(s.steppers[0].position, 160);
  EXPECT_EQ(s.steppers[1].position, 0);
  EXPECT_EQ(s.steppers[0].steps, 400u + 400u + 160u);
  EXPECT_GE(s.lateness.edges, 2 * (s.steppers[0].steps + s.steppers[1].steps + s.steppers[3].steps));
}

// The progress line counts motion executed, which cannot pass the motion sent: after the last move the
// executor idles while the clock runs on (the job's final line says "X s of X s").
TEST_F(RunTest, ProgressNeverShowsMoreMotionExecutedThanPlanned) {
  RunOptions options;
  options.config_path = kUnguardedConfig;
  options.gcode_path = write("short.gcode", "G28\nG1 X5 Y3 F6000\nG1 X0 Y0\n");
  options.progress = true;
  const RunSummary s = run_job(options, log_);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  std::istringstream lines(log_.str());
  std::string line, last;
  double executed = 0, planned = 0;
  while (std::getline(lines, line)) {
    if (std::sscanf(line.c_str(), "progress: file %*f%% | motion %lf s of %lf s", &executed, &planned) != 2) continue;
    EXPECT_LE(executed, planned) << line;
    last = line;
  }
  ASSERT_FALSE(last.empty()) << log_.str();
  EXPECT_EQ(executed, planned) << "the job ran to its end: " << last;
}

// A long G4 during which the host sits idle (here: waiting for the rest of the G-code) is not an underrun:
// the dwell publishes the host's horizon, so the executor finishes the motion before it and idles.
TEST_F(RunTest, LongDwellWithAnIdleHostIsNotAnUnderrun) {
  const auto fifo = (dir_ / "slow.gcode").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(fifo);
    out << "G28\nG1 X20 Y10 F6000\nG4 P5000\n";
    // More than the 64 KiB the host reads at a time (machine/gcode_input.hpp), so it gets the G4 now and then waits.
    for (int i = 0; i < 1200; ++i) out << "; the host reads this far, then waits for the rest of the file\n";
    out << std::flush;
    std::this_thread::sleep_for(std::chrono::seconds(3));  // in the middle of the dwell
    out << "G1 X0 Y0 F6000\nG1 X5\n";
  });
  const RunSummary s = run(fifo, /*virtual_clock=*/false);
  writer.join();
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.executor_status, "finished");
  EXPECT_EQ(s.steppers[0].position, 400);
  EXPECT_EQ(s.steppers[0].steps, 1600u + 1600u + 400u);
  EXPECT_EQ(s.steppers[1].steps, 800u + 800u);
}

// G-code streamed into a FIFO whose writer pauses far longer than the motion it sent (a sender that stalls,
// a user typing the next line): the host sends what it had queued before that motion runs out, the executor
// finishes it and idles, and the next line starts from now. No underrun, no step lost.
TEST_F(RunTest, AStreamThatPausesLongerThanItsMotionIsNotAnUnderrun) {
  const auto fifo = (dir_ / "typed.gcode").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(fifo);
    const auto pause = [&] {
      out << std::flush;
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // six times buffer_time
    };
    pause();  // before the first line: the first move must not start in the past
    out << "G28\nG1 X20 Y10 F6000\n";
    pause();  // G1 X20 is still queued in the look-ahead, its motion not yet sent
    out << "G1 X0 Y0\n";
    pause();
    out << "G1 X5\n";
  });
  const RunSummary s = run(fifo, /*virtual_clock=*/false);
  writer.join();
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.executor_status, "finished");
  EXPECT_EQ(s.underruns, 0u);
  EXPECT_EQ(s.steppers[0].position, 400);
  EXPECT_EQ(s.steppers[0].steps, 1600u + 1600u + 400u);
  EXPECT_EQ(s.steppers[1].steps, 800u + 800u);
  EXPECT_GT(s.print_time_s, 4.0) << "the three pauses (4.5 s) are part of the print time";
}

TEST_F(RunTest, GcodeErrorStopsTheJobAndNamesTheLine) {
  const auto gcode = write("bad.gcode", "G28\nG1 X10 F6000\nG1 X1.2.3\nG1 X50\n");
  const RunSummary s = run(gcode);
  EXPECT_EQ(s.exit_code, ExitCode::kJobError);
  EXPECT_EQ(s.error, gcode + ":3:5: bad number \"1.2.3\" for X");
  // The motion before the bad line was executed to the end, nothing after it.
  EXPECT_EQ(s.moves, 1u);
  EXPECT_EQ(s.steppers[0].position, 800);
  EXPECT_EQ(s.executor_status, "finished");
}

TEST_F(RunTest, OutOfRangeMoveIsAnErrorWithTheLine) {
  const auto gcode = write("range.gcode", "G28\nG1 X251 F6000\n");
  const RunSummary s = run(gcode);
  EXPECT_EQ(s.exit_code, ExitCode::kJobError);
  EXPECT_EQ(s.error, gcode + ":2: move out of range: X=251.000 (max 235.000)");
  EXPECT_EQ(s.moves, 0u);
}

TEST_F(RunTest, UnknownCommandsAreReportedOnceAndTheJobGoesOn) {
  // PRINT_START is the example's macro (it homes); M73 sets the display's progress; the others rtstep does not know.
  const auto gcode = write("slicer.gcode", "M73 P0\nM486 S0\nPRINT_START\nM486 S1\nFOO_BAR X=1\nG1 X1 F600\nM486 S2\n");
  const RunSummary s = run(gcode);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.ignored_commands, (std::vector<std::string>{"M486", "FOO_BAR"}));
  const std::string log = log_.str();
  EXPECT_NE(log.find(gcode + ":2: note: ignoring unknown command M486 (reported once)"), std::string::npos) << log;
  EXPECT_NE(log.find(gcode + ":5: note: ignoring unknown command FOO_BAR (reported once)"), std::string::npos) << log;
  EXPECT_EQ(log.find(gcode + ":4:"), std::string::npos) << log;
  EXPECT_EQ(log.find(gcode + ":7:"), std::string::npos) << log;
  EXPECT_EQ(s.steppers[0].planned_position, 80) << "the macro homed X, then the job moved it 1 mm";
}

TEST_F(RunTest, AColdExtrusionStopsTheJobAtItsLine) {
  // The example's extruder has a heater (min_extrude_temp 170 C by default): on the real clock, with the sim
  // heater at room temperature, an extruding move is refused as in Klipper, and the job stops there.
  const auto gcode = write("cold.gcode", "G28\nG1 X2 F600\nG1 X4 E0.5\nG1 X6\n");
  const auto cfg = write("guards-off.cfg", "[include " + kExampleConfig + "]\n[rt]\nmax_lateness: 0\nmax_bunch: 0\n");
  const RunSummary s = run(gcode, /*virtual_clock=*/false, cfg);
  EXPECT_EQ(s.exit_code, ExitCode::kJobError);
  EXPECT_EQ(s.error, gcode + ":3: Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details");
  ASSERT_EQ(s.steppers.size(), 4u);
  EXPECT_EQ(s.steppers[0].planned_position, 160) << "the moves before the refused line ran";
  EXPECT_EQ(s.steppers[0].position, 160);
  EXPECT_EQ(s.steppers[3].planned_steps, 0u);
}

TEST_F(RunTest, BadConfigIsAUsageErrorNamingTheKey) {
  // The example with one bad value: the error names file, line, section and key.
  std::ifstream in(kExampleConfig);
  std::stringstream text;
  text << in.rdbuf();
  std::string cfg_text = text.str();
  const auto at = cfg_text.find("\nmax_accel:");
  ASSERT_NE(at, std::string::npos);
  cfg_text.replace(at, cfg_text.find('\n', at + 1) - at, "\nmax_accel: abc");
  const uint32_t line = static_cast<uint32_t>(std::count(cfg_text.begin(), cfg_text.begin() + at + 1, '\n')) + 1;
  const auto cfg = write("printer.cfg", cfg_text);
  const RunSummary s = run(kSource + "/examples/square.gcode", true, cfg);
  EXPECT_EQ(s.exit_code, ExitCode::kUsage);
  EXPECT_EQ(s.error.rfind(cfg + ":" + std::to_string(line) + ": [printer] max_accel: ", 0), 0u) << s.error;
}

// The widest compression tolerance printer.cfg allows (10 us) at about 190k steps/s (5.2 us apart): no two
// segments of a stepper overlap (the executor would stop the job with a bad record), and no step is lost.
TEST_F(RunTest, TheWidestStepErrorAtAFastStepRateRunsEveryStep) {
  std::ifstream in(kExampleConfig);
  std::stringstream text;
  text << in.rdbuf();
  std::string cfg_text = text.str();
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"\nmicrosteps: 16", "\nmicrosteps: 256"},
                                 {"\nmax_step_error:", "\nmax_step_error: 0.00001 #"}}) {
    const auto at = cfg_text.find(from);  // the first: [stepper_x]'s microsteps
    ASSERT_NE(at, std::string::npos) << from;
    cfg_text.replace(at, from.size(), to);
  }
  const auto cfg = write("printer.cfg", cfg_text);
  const RunSummary s = run(write("fast.gcode", "G28\nG1 X200 F9000\nG1 X0\nG1 X150 F8700\nG1 X3 F8900\n"), true, cfg);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.steppers[0].steps, s.steppers[0].planned_steps);
  EXPECT_EQ(s.steppers[0].steps, 892160u) << "697 mm of X travel, homing included, at 1280 steps/mm";
}

TEST_F(RunTest, MissingGcodeFileIsAUsageError) {
  const RunSummary s = run((dir_ / "none.gcode").string());
  EXPECT_EQ(s.exit_code, ExitCode::kUsage);
  EXPECT_EQ(s.error, (dir_ / "none.gcode").string() + ": cannot open G-code file: " + std::strerror(ENOENT));
}

TEST_F(RunTest, JsonSummaryHasTheDocumentedFields) {
  const RunSummary s = run(kSource + "/examples/square.gcode");
  const auto j = s.to_json();
  EXPECT_EQ(j.at("ok"), true);
  EXPECT_EQ(j.at("exit_code"), 0);
  EXPECT_EQ(j.at("clock"), "virtual");
  EXPECT_EQ(j.at("steppers").size(), 4u);
  EXPECT_EQ(j.at("steppers")[0].at("position_ok"), true);
  EXPECT_TRUE(j.at("lateness_ns").contains("p99"));
  EXPECT_EQ(j.at("executor").at("status"), "finished");
  EXPECT_FALSE(j.contains("error"));
  for (const char* key : {"p99_9", "late_edges", "late_threshold"}) EXPECT_TRUE(j.at("lateness_ns").contains(key)) << key;
  EXPECT_EQ(j.at("underruns"), 0);
  EXPECT_EQ(j.at("ring").at("capacity"), 4096);
  EXPECT_GT(j.at("ring").at("high_water").get<uint64_t>(), 0u);
  EXPECT_LE(j.at("ring").at("high_water").get<uint64_t>(), 4096u);
  EXPECT_TRUE(j.at("cpu_s").contains("host"));
  EXPECT_TRUE(j.at("cpu_s").contains("executor"));
  EXPECT_EQ(j.at("stalls").at("count"), 0);
  EXPECT_EQ(j.at("mode"), "embedded");
}

TEST_F(RunTest, TraceOfAVirtualRunMatchesTheSummary) {
  const auto trace_path = (dir_ / "square.trace").string();
  RunOptions options;
  options.config_path = kExampleConfig;
  options.gcode_path = kSource + "/examples/square.gcode";
  options.virtual_clock = true;
  options.trace_path = trace_path;
  const RunSummary s = run_job(options, log_);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.trace_lost, 0u);
  auto trace = trace::read_trace(trace_path);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  const auto stats = trace::compute_stats(*trace);
  ASSERT_EQ(stats.steppers.size(), s.steppers.size());
  for (std::size_t i = 0; i < s.steppers.size(); ++i) {
    EXPECT_EQ(stats.steppers[i].steps, s.steppers[i].steps) << s.steppers[i].name;
    EXPECT_EQ(stats.steppers[i].shortest_pulse_ns, 2'000) << "example step_pulse_duration";
    EXPECT_GE(stats.steppers[i].shortest_dir_setup_ns, 200) << "example dir_setup_time";
  }
  // X starts on its endstop at 0 (count 0), so the pins' count is its final position.
  EXPECT_EQ(stats.steppers[0].position, s.steppers[0].position);
  EXPECT_EQ(trace->header.pin_names[0], "stepper_x.step");
}

TEST_F(RunTest, ConnectToAMissingExecutorIsAClearError) {
  RunOptions options;
  options.config_path = kExampleConfig;
  options.gcode_path = kSource + "/examples/square.gcode";
  options.connect_name = "/rtstep-test-nobody-" + std::to_string(::getpid());
  const RunSummary s = run_job(options, log_);
  EXPECT_EQ(s.exit_code, ExitCode::kExecutorFault);
  EXPECT_NE(s.error.find("is `rtstep rt --ring"), std::string::npos) << s.error;
  EXPECT_EQ(log_.str().rfind("rtstep run: waiting up to 10 s for ring " + options.connect_name + ": start `rtstep rt --ring " +
                                 options.connect_name + " --config FILE`\n",
                             0),
            0U)
      << "said first, before the wait: " << log_.str();
}

}  // namespace
}  // namespace rtstep::cli
