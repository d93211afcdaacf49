// Homing through the executor where users run it: split mode (a real `rtstep rt` process serving
// `run --connect`) on the sim backend, a Z axis with two motors each on its own endstop, and what
// `rtstep rt --backend` says before anything opens when the backend cannot drive the machine.
// Checked against the pins themselves (the trace the executor's process writes): each carriage reaches
// its switch and never passes it, and every stepper ends where the plan says, no step lost or extra.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "scratch_dir.hpp"
#include "step_counts.hpp"
#include "cli/run.hpp"
#include "gpio/hardware.hpp"
#include "ipc/ipc.hpp"
#include "trace/trace.hpp"

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;
const std::string kBinary = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";

std::string example_config() {
  std::ifstream in(kSource + "/examples/printer.cfg");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A second Z motor on its own switch, as a printer with two lead screws has.
const std::string kStepperZ1 =
    "\n[stepper_z1]\nstep_pin: PC6\ndir_pin: !PC7\nenable_pin: !PC3\nmicrosteps: 16\nrotation_distance: 8\n"
    "endstop_pin: ^PA8\n";

class SplitHomingTest : public ScratchDirTest {
 protected:
  SplitHomingTest() : ScratchDirTest("rtstep-split-homing") {}
  void TearDown() override {
    if (rt_ > 0) {  // a test that stopped early: no `rtstep rt` outlives it
      kill(rt_, SIGKILL);
      waitpid(rt_, nullptr, 0);
    }
    std::filesystem::remove("/dev/shm" + shm_);
    ScratchDirTest::TearDown();
  }
  // Starts `rtstep rt --shm NAME --config CONFIG ARGS` (output into rt.log) and waits until its ring can be
  // attached (the file appears before the ring in it is ready). NAME is shm_, or the same without its '/'.
  // `G28 Z` then `G1 Z1` in one process on the virtual clock, the pins traced into `trace_path`.
  RunSummary home_z_on_the_virtual_clock(const std::string& config, const std::string& trace_path) {
    RunOptions options;
    options.config_path = config;
    options.gcode_path = write("home.gcode", "G28 Z\nG1 Z1 F600\n");
    options.virtual_clock = true;
    options.trace_path = trace_path;
    std::ostringstream log;
    return run_job(options, log);
  }
  pid_t start_rt(const std::string& config, const std::vector<std::string>& args, bool slash = true) {
    const std::string log = (dir_ / "rt.log").string();
    const pid_t child = fork();
    if (child == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      std::vector<std::string> argv{kBinary, "rt", "--shm", slash ? shm_ : shm_.substr(1), "--config", config};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> c_argv;
      for (auto& a : argv) c_argv.push_back(a.data());
      c_argv.push_back(nullptr);
      execv(kBinary.c_str(), c_argv.data());
      _exit(127);
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!ipc::SegmentRing::attach(shm_).ok() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    rt_ = child;
    return child;
  }
  // Waits for the `rtstep rt` of start_rt to exit: its exit code; -1 when a signal ended it or it was still
  // running 30 s later (a host that never came: then it is killed).
  int wait_rt() {
    int status = 0;
    pid_t reaped = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((reaped = waitpid(rt_, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (reaped == 0) {
      kill(rt_, SIGKILL);
      waitpid(rt_, nullptr, 0);
    }
    rt_ = -1;
    return reaped > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string rt_log() const {
    std::ifstream in(dir_ / "rt.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // `rtstep rt ARGS`: its exit code, and what it printed into `output`.
  int rt_command(const std::string& args, std::string& output) {
    const auto out = dir_ / "rt.out";
    const int status = std::system((kBinary + " rt --shm " + shm_ + " " + args + " > " + out.string() + " 2>&1").c_str());
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    output = text.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string shm_ = "/rtstep-split-homing-" + std::to_string(getpid());
  pid_t rt_ = -1;  // the running `rtstep rt`, if any
};

TEST_F(SplitHomingTest, AConnectedHostHomesThroughTheExecutorProcess) {
  if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << "needs the rtstep binary: " << kBinary;
  const auto cfg = write("printer.cfg", example_config() + "\n[sim]\nstart_position_x: 100\nstart_position_y: 50.3\n"
                                                           "start_position_z: 10\n");
  const auto gcode = write("home.gcode", "G28\nG1 X10 Y20 Z1 F6000\n");
  const auto trace_path = (dir_ / "home.trace").string();
  const pid_t rt = start_rt(cfg, {"--once", "--virtual-clock", "--trace", trace_path});
  ASSERT_GT(rt, 0);
  RunOptions options;
  options.config_path = cfg;
  options.gcode_path = gcode;
  options.connect_name = shm_;
  std::ostringstream log;
  const RunSummary s = run_job(options, log);
  EXPECT_EQ(wait_rt(), 0) << rt_log();
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.mode, "split");
  expect_steps_as_planned(s);
  EXPECT_EQ(s.steppers[0].planned_position, 800);   // X10 at 80 steps/mm
  EXPECT_EQ(s.steppers[1].planned_position, 1600);  // Y20
  EXPECT_EQ(s.steppers[2].planned_position, 400);   // Z1 at 400 steps/mm
  EXPECT_LT(s.print_time_s, 12.0) << "the toolhead went on from the trip, not from the end of the search";

  auto trace = trace::read_trace(trace_path);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  // The switches are at position_endstop 0 (count 0): reached, never passed.
  EXPECT_EQ(count_range(*trace, 0, 8000).first, 0);
  EXPECT_EQ(count_range(*trace, 1, 4024).first, 0);  // 50.3 mm * 80
  EXPECT_EQ(count_range(*trace, 2, 4000).first, 0);
}

TEST_F(SplitHomingTest, TwoZMotorsEachStopAtTheirOwnSwitch) {
  // The z1 end of the gantry rests 2 mm higher than the z end: homing stops z at its switch, lets z1 go
  // on to its own, and from then on both are at Z = position_endstop.
  const auto cfg = write("printer.cfg", example_config() + kStepperZ1 +
                                            "\n[sim]\nstart_position_z: 10\nstart_position_z1: 12\n");
  const auto trace_path = (dir_ / "home.trace").string();
  const RunSummary s = home_z_on_the_virtual_clock(cfg, trace_path);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  ASSERT_EQ(s.steppers.size(), 5u);
  ASSERT_EQ(s.steppers[3].name, "stepper_z1");
  expect_steps_as_planned(s);
  EXPECT_EQ(s.steppers[2].planned_position, 400);  // Z1 at 400 steps/mm
  EXPECT_EQ(s.steppers[3].planned_position, 400);
  EXPECT_EQ(s.steppers[2].homing_offset, 0);
  EXPECT_EQ(s.steppers[3].homing_offset, 800) << "z1 went 2 mm (800 steps) further down than its count said";

  auto trace = trace::read_trace(trace_path);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  // Counts from the start (Z10 = 4000 for both): z's switch at count 0, z1's 2 mm lower in its own count.
  EXPECT_EQ(count_range(*trace, 2, 4000).first, 0);
  EXPECT_EQ(count_range(*trace, 3, 4000).first, -800);
}

TEST_F(SplitHomingTest, Z1ApartFromAZOnItsSwitchStillGoesToItsOwn) {
  // Z rests on its switch (no start_position_z), the z1 end 2 mm above its own: G28 Z must still move,
  // or the gantry would stay skewed by 2 mm with G28 reported done.
  const auto cfg = write("printer.cfg", example_config() + kStepperZ1 + "\n[sim]\nstart_position_z1: 2\n");
  const auto trace_path = (dir_ / "home.trace").string();
  const RunSummary s = home_z_on_the_virtual_clock(cfg, trace_path);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  ASSERT_EQ(s.steppers.size(), 5u);
  expect_steps_as_planned(s);
  EXPECT_EQ(s.steppers[2].homing_offset, 0);
  EXPECT_EQ(s.steppers[3].homing_offset, 800) << "z1 went 2 mm (800 steps) further down than its count said";
  auto trace = trace::read_trace(trace_path);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_EQ(count_range(*trace, 3, 0).first, -800) << "z1 reached its own switch";
}

TEST_F(SplitHomingTest, AZ1EndstopThatIsAnotherPinIsAConfigError) {
  std::string text = example_config() + kStepperZ1;
  const auto shared = write("shared.cfg", std::regex_replace(text, std::regex("endstop_pin: \\^PA8"), "endstop_pin: ^PA7"));
  RunOptions options;
  options.gcode_path = write("home.gcode", "G28\n");
  options.virtual_clock = true;
  std::ostringstream log;
  options.config_path = shared;
  RunSummary s = run_job(options, log);
  EXPECT_EQ(s.exit_code, ExitCode::kUsage);
  EXPECT_EQ(s.error, shared + ":124: [stepper_z1] endstop_pin: pin \"^PA7\" is already used by [stepper_z] endstop_pin (" +
                         shared + ":46); leave endstop_pin out to home [stepper_z1] on its axis' switch");
  const auto output = write("output.cfg", std::regex_replace(text, std::regex("endstop_pin: \\^PA8"), "endstop_pin: PB3"));
  options.config_path = output;
  s = run_job(options, log);
  EXPECT_EQ(s.exit_code, ExitCode::kUsage);
  EXPECT_EQ(s.error, output + ":53: [extruder] step_pin: pin \"PB3\" is already used by [stepper_z1] endstop_pin (" +
                         output + ":124)");
}

TEST_F(SplitHomingTest, RtRefusesABackendThatCannotDriveTheMachineBeforeAnythingOpens) {
  if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << "needs the rtstep binary: " << kBinary;
  const std::string example = kSource + "/examples/printer.cfg";
  std::string out;
  EXPECT_EQ(rt_command("--config " + example + " --backend pigpio", out), 1);
  EXPECT_EQ(out, "rtstep rt: unknown GPIO backend \"pigpio\" (choose sim, gpiod, rpi4, rpi5 or auto)\n");
  EXPECT_EQ(rt_command("--config " + example + " --backend rpi5", out), 1);
  EXPECT_EQ(out, "rtstep rt: " + example + ": [stepper_x] step_pin: PB9: the rpi5 backend needs gpioN or GPION names "
                                           "(line names need the gpiod backend)\n");
  // The example's pins renamed to Raspberry Pi GPIO numbers.
  std::string text = example_config();
  int n = 4;
  for (const char* label : {"PB9", "PC2", "PC3", "PA5", "PB7", "PB8", "PA6", "PB5", "PB6", "PA7", "PB3", "PB4"}) {
    text = std::regex_replace(text, std::regex(std::string("\\b") + label + "\\b"), "gpio" + std::to_string(n++));
  }
  const auto pi = write("pi.cfg", text);
  EXPECT_EQ(rt_command("--config " + pi + " --backend rpi4 --virtual-clock", out), 1);
  EXPECT_EQ(out, "rtstep rt: --virtual-clock does not wait for real time: it only runs on the sim backend\n");
  if (std::filesystem::exists("/dev/gpiomem0")) GTEST_SKIP() << "this machine has /dev/gpiomem0: rpi5 would open";
  EXPECT_EQ(rt_command("--config " + pi + " --backend rpi5", out), 3);
  EXPECT_EQ(out, "rtstep rt: /dev/gpiomem0 does not exist: is this the right board, and is the GPIO driver loaded?\n");
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + shm_)) << "no ring before the backend is known to work";
}

TEST_F(SplitHomingTest, RtAutoSaysWhichBackendAndWhy) {
  // Also the ring's name as `rtstep systemd-unit` writes it, without the leading '/', on both sides.
  if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << "needs the rtstep binary: " << kBinary;
  if (gpio::choose_backend("/").kind != gpio::BackendKind::kSim) {
    GTEST_SKIP() << "this machine has a board or a GPIO chip: auto would drive real pins";
  }
  const pid_t rt = start_rt(kSource + "/examples/printer.cfg", {"--backend", "auto", "--once", "--virtual-clock"}, false);
  ASSERT_GT(rt, 0);
  ASSERT_TRUE(std::filesystem::exists("/dev/shm" + shm_)) << rt_log();
  RunOptions options;
  options.config_path = kSource + "/examples/printer.cfg";
  options.gcode_path = write("move.gcode", "G28 X\nG1 X10 F6000\n");  // a connected host homes first
  options.connect_name = shm_.substr(1);
  std::ostringstream log;
  const RunSummary s = run_job(options, log);
  EXPECT_EQ(wait_rt(), 0) << rt_log();
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  expect_steps_as_planned(s);
  EXPECT_EQ(s.steppers[0].planned_position, 800);  // X10 at 80 steps/mm
  EXPECT_NE(rt_log().find("rtstep rt: GPIO backend sim: no Raspberry Pi and no GPIO character device"), std::string::npos)
      << rt_log();
  EXPECT_NE(rt_log().find("rtstep rt: waiting for a host on " + shm_ + " ("), std::string::npos) << rt_log();
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + shm_)) << "rt removes its ring when it exits";
}

}  // namespace
}  // namespace rtstep::cli
