// `rtstep run --mcu` against rtstep-mcu-sim: the rtstep binary and two simulated boards, each a real process
// on a real pseudo-terminal. X and the extruder run on [mcu], Y on [mcu toolboard], Z on the executor's
// (sim) GPIO: the steps each board took must be the plan's, in count, direction and time, and the run's
// summary must give each board's account. A board that shuts down must stop the run with its message.
// Time bounds are loose (a loaded 2-core machine): they catch wrong behaviour, not slow machines.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../cli/rtstep_process.hpp"
#include "../cli/scratch_dir.hpp"
#include "sim_process.hpp"

namespace rtstep::mcu {
namespace {

using cli::contains;
using cli::run_rtstep;
using test::SimProcess;
using test::SimRecord;

// Each board step lies this close to its planned time, once the constant offset between the run's print time
// and the plan's is taken out: it covers the clock estimate on a loaded machine and is far below what a
// wrong mapping, a lost or an extra step gives. The exact bound is checked in-process (zigzag_test.cpp).
constexpr int64_t kToleranceNs = 10'000'000;

std::string config_text(const std::string& mcu, const std::string& toolboard) {
  return R"([printer]
kinematics: cartesian
max_velocity: 200
max_accel: 3000
max_z_velocity: 5
max_z_accel: 100

[stepper_x]
step_pin: PA0
dir_pin: !PA1
enable_pin: !PA2
microsteps: 16
rotation_distance: 40
endstop_pin: ^PC0
position_endstop: 0
position_max: 200

[stepper_y]
step_pin: toolboard:PB3
dir_pin: toolboard:PB4
enable_pin: !toolboard:PB5
microsteps: 16
rotation_distance: 40
endstop_pin: ^toolboard:PC1
position_endstop: 0
position_max: 200

[stepper_z]
step_pin: gpio20
dir_pin: gpio21
microsteps: 16
rotation_distance: 8
endstop_pin: gpio22
position_endstop: 0
position_max: 100

[extruder]
step_pin: PA4
dir_pin: PA5
enable_pin: !PA2
microsteps: 16
rotation_distance: 33.5
nozzle_diameter: 0.4
filament_diameter: 1.75

[mcu]
serial: )" + mcu + R"(

[mcu toolboard]
serial: )" + toolboard + R"(
baud: 115200

[rt]
buffer_time: 1.5
max_lateness: 0
max_bunch: 0
)";
}

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

  // Every step a board took against the plan: the same count and directions, each within kToleranceNs of
  // its planned time after the run's print-time origin is taken out.
  static void expect_plan(const SimRecord& record, int oid, bool invert_dir, const std::vector<PlannedStep>& plan,
                          const std::string& name) {
    const std::vector<SimRecord::Step> taken = record.steps_of(oid, 0);
    ASSERT_EQ(taken.size(), plan.size()) << name;
    ASSERT_FALSE(plan.empty()) << name;
    const int64_t origin = taken.front().host_ns - plan.front().time_ns;
    int64_t worst = 0;
    for (std::size_t k = 0; k < plan.size(); ++k) {
      ASSERT_EQ(taken[k].dir, invert_dir ? 1 - plan[k].dir : plan[k].dir) << name << " step " << k;
      worst = std::max(worst, std::abs(taken[k].host_ns - origin - plan[k].time_ns));
    }
    EXPECT_LT(worst, kToleranceNs) << name;
  }
};

TEST_F(RunOnBoard, StepsOnTwoBoardsAndTheExecutorFollowThePlan) {
  SimProcess mcu({"--clock-freq", "16000000"});
  SimProcess toolboard({"--clock-freq", "72000000", "--drift-ppm", "40", "--id-seed", "7"});
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

  const cli::Outcome plan = run_rtstep({"plan", "-q", "--config", cfg, "--steps-csv", (dir_ / "csv").string(), gcode});
  ASSERT_EQ(plan.code, 0) << plan.err;
  ASSERT_EQ(mcu.stop(), 0);
  ASSERT_EQ(toolboard.stop(), 0);
  const SimRecord on_mcu = mcu.record(), on_toolboard = toolboard.record();
  EXPECT_TRUE(on_mcu.shutdowns.empty() && on_toolboard.shutdowns.empty());
  // Board oids: its steppers in machine order (x then the extruder on [mcu]).
  expect_plan(on_mcu, 0, true, read_csv(dir_ / "csv" / "stepper_x.csv"), "stepper_x");
  expect_plan(on_mcu, 1, false, read_csv(dir_ / "csv" / "extruder.csv"), "extruder");
  expect_plan(on_toolboard, 0, false, read_csv(dir_ / "csv" / "stepper_y.csv"), "stepper_y");
  // The shared enable pin went on for the job and off at its end (PA2 is inverted: on is 0).
  std::vector<uint32_t> enable;
  for (const auto& o : on_mcu.outputs) {
    if (o.oid == 2) enable.push_back(o.on_ticks);
  }
  EXPECT_EQ(enable, (std::vector<uint32_t>{0, 1})) << "the enable pin's updates";
}

TEST_F(RunOnBoard, ABoardThatShutsDownStopsTheRunWithItsMessage) {
  SimProcess mcu({"--clock-freq", "16000000"});
  SimProcess toolboard({"--clock-freq", "16000000"});
  ASSERT_TRUE(mcu.running() && toolboard.running());
  const std::string cfg = write("printer.cfg", config_text(mcu.pty(), toolboard.pty()));
  std::string gcode_text = "G28\nG90\n";
  for (int i = 0; i < 20; ++i) gcode_text += i % 2 == 0 ? "G1 X100 Y50 F3000\n" : "G1 X10 Y10 F3000\n";
  const std::string gcode = write("long.gcode", gcode_text);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
  const pid_t pid = cli::start_rtstep({"run", "--mcu", "-q", "--config", cfg, gcode}, in, out, err);
  // Once the board steps, stop it for longer than the host's lead: the commands it finds on waking are late
  // (Klipper's firmware shuts down then, and so does the simulator).
  bool stepping = false;
  for (int i = 0; i < 600 && !stepping; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stepping = !mcu.record().steps_of(0, 0).empty();
  }
  ASSERT_TRUE(stepping) << cli::read_all(err);
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
