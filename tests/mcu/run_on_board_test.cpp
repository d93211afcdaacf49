// `rtstep run --mcu` against rtstep-mcu-sim: the rtstep binary and two simulated boards, each a real process
// on a real pseudo-terminal. X and the extruder run on [mcu], Y on [mcu toolboard], Z on the executor's
// (sim) GPIO: G28 homes X and Y on their boards' switches, the steps each board took after it must be the
// plan's, in count, direction and time, and the run's summary must give each board's account. A board that
// shuts down must stop the run with its message.
// Time bounds are loose (a loaded 2-core machine): they catch wrong behaviour, not slow machines.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../cli/rtstep_process.hpp"
#include "../cli/scratch_dir.hpp"
#include "board_config.hpp"
#include "sim_process.hpp"

namespace rtstep::mcu {
namespace {

using cli::contains;
using cli::run_rtstep;
using test::args;
using test::config_text;
using test::kMcuSwitch;
using test::kToolboardSwitch;
using test::SimProcess;
using test::SimRecord;

// Each board step lies this close to its planned time, once the constant offset between the run's print time
// and the plan's is taken out: it covers the clock estimate on a loaded machine and is far below what a
// wrong mapping, a lost or an extra step gives. The exact bound is checked in-process (zigzag_test.cpp).
constexpr int64_t kToleranceNs = 10'000'000;

// About 4 s of motion on every stepper, both directions.
constexpr const char* kGcode = R"(G28
G90
M83
G1 Z1 F600
G1 X40 Y20 F6000
G1 X60 Y50 E1.5 F3000
G1 X20 Y60 E1.2
G1 X20 Y20 E1.0
G1 E-0.8 F2100
G1 X50 Y10 Z2 F6000
G1 X10 Y40
G1 X5 Y5 E0.8 F3000
)";

struct PlannedStep {
  int64_t time_ns;
  int dir;
};

std::vector<PlannedStep> read_csv(const std::filesystem::path& path) {
  std::vector<PlannedStep> steps;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    PlannedStep s{};
    char comma = 0;
    int64_t position = 0;
    fields >> s.time_ns >> comma >> s.dir >> comma >> position;
    steps.push_back(s);
  }
  return steps;
}

class RunOnBoard : public cli::ScratchDirTest {
 protected:
  RunOnBoard() : ScratchDirTest("rtstep-mcu-run") {}

  // Every step a board took after homing against the plan (whose G28 does not move: its carriages start on
  // their switches): the same count and directions, each within kToleranceNs of its planned time after the
  // run's print-time origin is taken out. Returns the board's position count before those steps.
  static int64_t expect_plan(const SimRecord& record, int oid, bool invert_dir, const std::vector<PlannedStep>& plan,
                             const std::string& name) {
    const std::vector<SimRecord::Step> all = record.steps_of(oid, 0);
    EXPECT_GE(all.size(), plan.size()) << name;
    EXPECT_FALSE(plan.empty()) << name;
    if (all.size() < plan.size() || plan.empty()) return 0;
    int64_t before = 0;
    for (std::size_t k = 0; k + plan.size() < all.size(); ++k) before += all[k].dir == 1 ? 1 : -1;
    const std::vector<SimRecord::Step> taken(all.end() - static_cast<std::ptrdiff_t>(plan.size()), all.end());
    const int64_t origin = taken.front().host_ns - plan.front().time_ns;
    int64_t worst = 0;
    for (std::size_t k = 0; k < plan.size(); ++k) {
      EXPECT_EQ(taken[k].dir, invert_dir ? 1 - plan[k].dir : plan[k].dir) << name << " step " << k;
      worst = std::max(worst, std::abs(taken[k].host_ns - origin - plan[k].time_ns));
    }
    EXPECT_LT(worst, kToleranceNs) << name;
    return before;
  }

  // The lowest position count a board's stepper reached before its last `tail` steps.
  static int64_t lowest_before(const SimRecord& record, int oid, std::size_t tail) {
    const std::vector<SimRecord::Step> all = record.steps_of(oid, 0);
    int64_t position = 0, lowest = 0;
    for (std::size_t k = 0; k + tail < all.size(); ++k) {
      position += all[k].dir == 1 ? 1 : -1;
      lowest = std::min(lowest, position);
    }
    return lowest;
  }
};

TEST_F(RunOnBoard, HomesOnTheBoardsAndTheirStepsFollowThePlan) {
  SimProcess mcu(args({"--clock-freq", "16000000"}, kMcuSwitch));
  SimProcess toolboard(args({"--clock-freq", "72000000", "--drift-ppm", "40", "--id-seed", "7"}, kToolboardSwitch));
  ASSERT_TRUE(mcu.running() && toolboard.running());
  const std::string cfg = write("printer.cfg", config_text(mcu.pty(), toolboard.pty()));
  const std::string gcode = write("part.gcode", kGcode);

  const cli::Outcome run = run_rtstep({"run", "--mcu", "--json", "-q", "--config", cfg, gcode});
  ASSERT_EQ(run.code, 0) << run.err << run.out;
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_TRUE(summary["ok"].get<bool>());
  // The boards are driven, so [mcu] is no longer listed as ignored.
  EXPECT_TRUE(summary["ignored_sections"].empty()) << summary["ignored_sections"];
  std::map<std::string, nlohmann::json> steppers;
  for (const auto& s : summary["steppers"]) steppers[s["name"]] = s;
  EXPECT_EQ(steppers["stepper_x"].value("mcu", ""), "mcu");
  EXPECT_EQ(steppers["extruder"].value("mcu", ""), "mcu");
  EXPECT_EQ(steppers["stepper_y"].value("mcu", ""), "toolboard");
  EXPECT_FALSE(steppers["stepper_z"].contains("mcu"));
  for (auto& [name, s] : steppers) {
    EXPECT_GT(s["steps"].get<uint64_t>(), 100u) << name;
    EXPECT_EQ(s["steps"], s["planned_steps"]) << name;
    EXPECT_EQ(s["position_steps"], s["planned_position_steps"]) << name;
  }

  // Each board's traffic: its steps went out in queue_step commands of many steps each.
  ASSERT_EQ(summary["mcu"].size(), 2u);
  EXPECT_EQ(summary["mcu"][0]["name"], "mcu");
  EXPECT_EQ(summary["mcu"][1]["name"], "toolboard");
  for (const auto& b : summary["mcu"]) {
    EXPECT_GE(b["steps"].get<uint64_t>(), 10 * b["queue_step_commands"].get<uint64_t>()) << b;
    EXPECT_GT(b["bytes_sent"].get<uint64_t>(), b["queue_step_bytes"].get<uint64_t>()) << b;
  }

  const cli::Outcome plan = run_rtstep({"plan", "-q", "--config", cfg, "--steps-csv", (dir_ / "csv").string(), gcode});
  ASSERT_EQ(plan.code, 0) << plan.err;
  ASSERT_EQ(mcu.stop(), 0);
  ASSERT_EQ(toolboard.stop(), 0);
  const SimRecord on_mcu = mcu.record(), on_toolboard = toolboard.record();
  EXPECT_TRUE(on_mcu.shutdowns.empty() && on_toolboard.shutdowns.empty());
  // Board oids: its steppers in machine order (x then the extruder on [mcu]).
  const auto x_plan = read_csv(dir_ / "csv" / "stepper_x.csv"), y_plan = read_csv(dir_ / "csv" / "stepper_y.csv");
  const int64_t x_homed = expect_plan(on_mcu, 0, false, x_plan, "stepper_x");
  EXPECT_EQ(expect_plan(on_mcu, 1, true, read_csv(dir_ / "csv" / "extruder.csv"), "extruder"), 0) << "the extruder never homes";
  const int64_t y_homed = expect_plan(on_toolboard, 0, false, y_plan, "stepper_y");
  // G28 moved X and Y to their switches on the boards (twice: search, retract, slower search), which
  // stopped them there; the plan's moves start from the switch.
  for (const auto& [name, lowest, homed] : {std::tuple{"stepper_x", lowest_before(on_mcu, 0, x_plan.size()), x_homed},
                                             std::tuple{"stepper_y", lowest_before(on_toolboard, 0, y_plan.size()), y_homed}}) {
    EXPECT_GE(lowest, -403) << name;
    EXPECT_LE(lowest, -400) << name;
    EXPECT_GE(homed, -403) << name;
    EXPECT_LE(homed, -400) << name;
  }
  // The shared enable pin: on (inverted: 0) with the first move, off (1) at the job's end.
  std::vector<uint32_t> enable;
  for (const auto& o : on_mcu.outputs) {
    if (o.oid == 2) enable.push_back(o.on_ticks);
  }
  ASSERT_GE(enable.size(), 2u);
  EXPECT_EQ(enable.front(), 0u);
  EXPECT_EQ(enable.back(), 1u);
}

TEST_F(RunOnBoard, ABoardThatShutsDownStopsTheRunWithItsMessage) {
  SimProcess mcu(args({"--clock-freq", "16000000"}, kMcuSwitch));
  SimProcess toolboard(args({"--clock-freq", "16000000"}, kToolboardSwitch));
  ASSERT_TRUE(mcu.running() && toolboard.running());
  const std::string cfg = write("printer.cfg", config_text(mcu.pty(), toolboard.pty()));
  // Homing, then short moves: commands are due on the board all the time.
  std::string gcode_text = "G28\nG90\n";
  for (int i = 0; i < 300; ++i) gcode_text += "G1 X20 Y10 F6000\nG1 X20.5 Y10.5\n";
  const std::string gcode = write("zigzag.gcode", gcode_text);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
  const pid_t pid = cli::start_rtstep({"run", "--mcu", "-q", "--config", cfg, gcode}, in, out, err);
  // Once X has homed and moved on (past X 12.5: 1000 steps), stop the board for longer than the host's lead:
  // the commands it finds on waking are late (Klipper's firmware shuts down then, and so does the simulator).
  const auto x_position = [&] {
    int64_t position = 0;
    for (const auto& step : mcu.record().steps_of(0, 0)) position += step.dir == 1 ? 1 : -1;
    return position;
  };
  bool zigzagging = false;
  for (int i = 0; i < 600 && !zigzagging; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    zigzagging = x_position() > 1000;
  }
  ASSERT_TRUE(zigzagging) << cli::read_all(err);
  mcu.signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  mcu.signal(SIGCONT);
  const int code = cli::wait_status(pid);
  ::close(in);
  const SimRecord record = mcu.record();
  ASSERT_FALSE(record.shutdowns.empty());
  const std::string stderr_text = cli::read_all(err);
  EXPECT_EQ(code, 5) << stderr_text;
  EXPECT_TRUE(contains(stderr_text, "MCU 'mcu' shutdown: " + record.shutdowns.front())) << stderr_text;
}

TEST_F(RunOnBoard, ABoardThatIsNotThereIsRefusedWithItsSerial) {
  const std::string cfg = write("printer.cfg", config_text((dir_ / "no-such-board").string(), (dir_ / "nor-this").string()));
  const std::string gcode = write("part.gcode", kGcode);
  // Without --mcu the MCU pins are labels on the sim backend, as they always were: the job runs.
  const cli::Outcome labels = run_rtstep({"run", "-q", "--config", cfg, gcode});
  EXPECT_EQ(labels.code, 0) << labels.err;
  const cli::Outcome refused = run_rtstep({"run", "--mcu", "-q", "--config", cfg, gcode});
  EXPECT_EQ(refused.code, 3);
  EXPECT_TRUE(contains(refused.err, "MCU 'mcu' (" + cfg + ":")) << refused.err;
  EXPECT_TRUE(contains(refused.err, (dir_ / "no-such-board").string())) << refused.err;
}

}  // namespace
}  // namespace rtstep::mcu
