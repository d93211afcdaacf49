// motmod: a G-code job planned by rtstep's toolhead, played into joint position pins that stepgen follows,
// with examples/printer.cfg as the machine. Virtual cycles, so every servo period can be inspected.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hal/motion_job.hpp"
#include "hal/thread.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

const std::string kPrinterCfg = std::string(RTSTEP_SOURCE_DIR) + "/examples/printer.cfg";

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("rtstep_motion_test_" + name);
  std::ofstream(path) << text;
  return path.string();
}

std::unique_ptr<MotionJob> make_job(const std::string& gcode_path, std::size_t queue = 1024) {
  auto machine = config::load(kPrinterCfg);
  if (!machine) {
    ADD_FAILURE() << machine.error().message;
    return nullptr;
  }
  auto job = MotionJob::create(std::move(*machine), gcode_path, queue);
  if (!job) {
    ADD_FAILURE() << job.error().message;
    return nullptr;
  }
  return std::move(*job);
}

double pin(const Hal& hal, const std::string& name) {
  return hal.pins().at(name)->slot->load()->get<double>();
}
int32_t pin_s32(const Hal& hal, const std::string& name) {
  return hal.pins().at(name)->slot->load()->get<int32_t>();
}
bool pin_bit(const Hal& hal, const std::string& name) { return hal.pins().at(name)->slot->load()->get<bool>(); }

// A stepper machine as LinuxCNC's core_stepper.hal wires it: 50 us base, 1 ms servo, one stepgen per joint
// (X, Y, Z, extruder) with printer.cfg's steps per mm.
const char* kMachineHal = R"(
loadrt motmod base_period_nsec=50000 servo_period_nsec=1000000
loadrt stepgen step_type=0,0,0,0
addf stepgen.make-pulses base-thread
addf stepgen.capture-position servo-thread
addf motion-command-handler servo-thread
addf motion-controller servo-thread
addf stepgen.update-freq servo-thread
net xpos joint.0.motor-pos-cmd => stepgen.0.position-cmd
net ypos joint.1.motor-pos-cmd => stepgen.1.position-cmd
net zpos joint.2.motor-pos-cmd => stepgen.2.position-cmd
net epos joint.3.motor-pos-cmd => stepgen.3.position-cmd
net xfb stepgen.0.position-fb => joint.0.motor-pos-fb
net yfb stepgen.1.position-fb => joint.1.motor-pos-fb
net zfb stepgen.2.position-fb => joint.2.motor-pos-fb
net efb stepgen.3.position-fb => joint.3.motor-pos-fb
net xen joint.0.amp-enable-out => stepgen.0.enable
net yen joint.1.amp-enable-out => stepgen.1.enable
net zen joint.2.amp-enable-out => stepgen.2.enable
net een joint.3.amp-enable-out => stepgen.3.enable
setp stepgen.0.position-scale 80
setp stepgen.1.position-scale 80
setp stepgen.2.position-scale 400
setp stepgen.3.position-scale 95.5223880597
setp stepgen.0.maxaccel 3300
setp stepgen.1.maxaccel 3300
setp stepgen.2.maxaccel 110
)";

// Runs servo periods until the job is finished (plus `settle` periods), calling `each` after every one.
template <typename Each>
int run_until_finished(Hal& hal, MotionJob& job, int max_periods, int settle, Each each) {
  int periods = 0;
  int after = 0;
  while (periods < max_periods && after < settle) {
    EXPECT_TRUE(hal.run_virtual(20).ok());  // one servo period of 20 base periods
    ++periods;
    each();
    if (job.progress().finished.load()) ++after;
  }
  return periods;
}

void wait_for_feeder(const MotionJob& job) {
  for (int i = 0; i < 5000 && !job.feeder_done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(job.feeder_done());
}

// The machine of kMachineHal playing one G-code file. Members in this order so the feeder's log outlives the
// job, and the job outlives the Hal.
class MotmodPlay : public ::testing::Test {
 protected:
  // Writes `gcode` to a file, loads the machine, starts the feeder with a `queue`-record queue and, with
  // `wait`, returns once the whole file is planned.
  void start(const std::string& name, const std::string& gcode, std::size_t queue = 1024, bool wait = true) {
    gcode_path_ = write_temp(name, gcode);
    job_ = make_job(gcode_path_, queue);
    ASSERT_NE(job_, nullptr);
    hal_.set_motion_job(job_.get());
    ASSERT_TRUE(session_.run(kMachineHal)) << session_.err();
    ASSERT_TRUE(job_->start_feeder(log_).ok());
    if (wait) wait_for_feeder(*job_);
  }

  std::ostringstream log_;
  std::string gcode_path_;
  std::unique_ptr<MotionJob> job_;
  Hal hal_;
  Session session_{hal_};
};

TEST_F(MotmodPlay, PlaysGcodeIntoStepgensAtTheFeedRateAndEndsOnTheExactStepCounts) {
  ASSERT_NO_FATAL_FAILURE(start("play.gcode", "G28\nG90\nM83\nG1 Z2 F600\nG1 X30 Y20 F6000\nG1 X40 Y30 E1.5 F3000\n"
                                              "G4 P100\nG1 X10 Y5 E-0.5 F6000\nG1 Z1.2 F600\n"));
  Hal& hal = hal_;
  MotionJob* job = job_.get();
  EXPECT_EQ(job->feeder_error(), "");

  double last_x = pin(hal, "joint.0.motor-pos-cmd"), last_y = pin(hal, "joint.1.motor-pos-cmd");
  double top_speed = 0, top_step = 0;
  int32_t last_line = 0;
  bool lines_in_order = true;
  const int periods = run_until_finished(hal, *job, 60000, 300, [&] {
    const double x = pin(hal, "joint.0.motor-pos-cmd"), y = pin(hal, "joint.1.motor-pos-cmd");
    top_step = std::max(top_step, std::hypot(x - last_x, y - last_y));
    top_speed = std::max(top_speed, pin(hal, "motion.current-vel"));
    const int32_t line = pin_s32(hal, "motion.program-line");
    lines_in_order = lines_in_order && line >= last_line;
    last_line = line;
    last_x = x;
    last_y = y;
  });
  ASSERT_TRUE(job->progress().finished.load()) << "not finished after " << periods << " servo periods";
  EXPECT_EQ(job->progress().moves_played.load(), job->moves_pushed());
  EXPECT_GE(job->moves_pushed(), 5U);  // one per G1 (G28 starts on the endstops)
  EXPECT_EQ(job->progress().underrun_periods.load(), 0U);
  // F6000 = 100 mm/s is the fastest the file asks for: no servo period moves X/Y further than that.
  EXPECT_LE(top_speed, 100.0 + 1e-6);
  EXPECT_LE(top_step, 0.1 + 1e-6);
  EXPECT_GT(top_speed, 90.0);  // and it does get to cruise
  EXPECT_TRUE(lines_in_order);
  EXPECT_EQ(last_line, 9);
  // The commanded end, and the steps stepgen made to reach it (its counts round to the nearest step).
  EXPECT_NEAR(pin(hal, "joint.0.motor-pos-cmd"), 10.0, 1e-9);
  EXPECT_NEAR(pin(hal, "joint.1.motor-pos-cmd"), 5.0, 1e-9);
  EXPECT_NEAR(pin(hal, "joint.2.motor-pos-cmd"), 1.2, 1e-9);
  EXPECT_NEAR(pin(hal, "joint.3.motor-pos-cmd"), 1.0, 1e-9);
  EXPECT_EQ(pin_s32(hal, "stepgen.0.counts"), 800);
  EXPECT_EQ(pin_s32(hal, "stepgen.1.counts"), 400);
  EXPECT_EQ(pin_s32(hal, "stepgen.2.counts"), 480);
  EXPECT_EQ(pin_s32(hal, "stepgen.3.counts"), 96);  // 95.52 steps
  EXPECT_TRUE(pin_bit(hal, "motion.in-position"));
  // The clock stopped with the job (within the servo period that ended it).
  EXPECT_NEAR(pin(hal, "motion.print-time"), job->planned_print_time(), 0.001);
  EXPECT_TRUE(pin_bit(hal, "joint.0.amp-enable-out"));
  EXPECT_LT(std::fabs(pin(hal, "joint.0.f-error")), 1.0 / 80);
}

TEST_F(MotmodPlay, MotorsOffAtTheEndOfTheFileDisableTheJoints) {
  ASSERT_NO_FATAL_FAILURE(start("m84.gcode", "G28\nG90\nG1 X5 F3000\nM400\nM84\n"));
  Hal& hal = hal_;
  MotionJob* job = job_.get();
  bool was_enabled = false;
  run_until_finished(hal, *job, 10000, 50, [&] { was_enabled = was_enabled || pin_bit(hal, "joint.0.amp-enable-out"); });
  EXPECT_TRUE(was_enabled);
  EXPECT_FALSE(pin_bit(hal, "joint.0.amp-enable-out"));
  EXPECT_EQ(pin_s32(hal, "stepgen.0.counts"), 400);
}

TEST_F(MotmodPlay, AQueueSmallerThanTheFileLosesNoMove) {
  // 60 moves through a 4-record queue, the feeder refilling it while the servo thread plays.
  std::string text = "G28\nG90\n";
  for (int i = 1; i <= 60; ++i) text += "G1 X" + std::to_string(i % 2 == 0 ? 2 * i : 0) + " Y" + std::to_string(i) + " F12000\n";
  ASSERT_NO_FATAL_FAILURE(start("many.gcode", text, 4, false));
  Hal& hal = hal_;
  MotionJob* job = job_.get();
  // Virtual periods run far faster than real time: give the feeder a moment between them.
  for (int i = 0; i < 400000 && !job->progress().finished.load(); ++i) {
    ASSERT_TRUE(hal.run_virtual(20).ok());
    if (i % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ASSERT_TRUE(job->progress().finished.load());
  EXPECT_EQ(job->moves_pushed(), 60U);
  EXPECT_EQ(job->progress().moves_played.load(), 60U);
  EXPECT_NEAR(pin(hal, "joint.0.motor-pos-cmd"), 120.0, 1e-9);
  EXPECT_NEAR(pin(hal, "joint.1.motor-pos-cmd"), 60.0, 1e-9);
  // The queue may have run dry in between (the clock then holds); that is counted, never skipped.
  EXPECT_EQ(pin_s32(hal, "motion.underruns"), static_cast<int32_t>(job->progress().underrun_periods.load()));
}

TEST_F(MotmodPlay, AGcodeErrorNamesTheLineAndWhatCameBeforeItStillPlays) {
  ASSERT_NO_FATAL_FAILURE(start("bad.gcode", "G28\nG90\nG1 X10 F3000\nG1 X999\nG1 X20\n"));
  Hal& hal = hal_;
  MotionJob* job = job_.get();
  EXPECT_NE(job->feeder_error().find(gcode_path_ + ":4: move out of range"), std::string::npos) << job->feeder_error();
  run_until_finished(hal, *job, 10000, 10, [] {});
  EXPECT_TRUE(job->progress().finished.load());
  EXPECT_NEAR(pin(hal, "joint.0.motor-pos-cmd"), 10.0, 1e-9);
}

TEST(Motmod, CreatesLinuxcncThreadsAndHoldsStillWithoutAJob) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt motmod base_period_nsec=30000 servo_period_nsec=1000000\n"
                    "addf motion-command-handler servo-thread\naddf motion-controller servo-thread\n"))
      << s.err();
  ASSERT_EQ(hal.threads().size(), 2U);
  EXPECT_EQ(hal.threads()[0]->name(), "base-thread");
  EXPECT_EQ(hal.threads()[1]->name(), "servo-thread");
  EXPECT_EQ(hal.threads()[1]->period_ns(), 990000);  // 33 whole base periods
  ASSERT_TRUE(hal.run_virtual(100).ok());
  EXPECT_EQ(pin(hal, "joint.2.motor-pos-cmd"), 0.0);
  EXPECT_TRUE(pin_bit(hal, "motion.in-position"));
  EXPECT_EQ(hal.pins().count("joint.3.motor-pos-cmd"), 0U);  // three joints by default

  Hal servo_only;
  Session s2(servo_only);
  ASSERT_TRUE(s2.run("loadrt motmod num_joints=2\n")) << s2.err();
  ASSERT_EQ(servo_only.threads().size(), 1U);
  EXPECT_EQ(servo_only.threads()[0]->period_ns(), 1000000);
}

TEST(Motmod, RejectsAJointCountThatDoesNotMatchTheMachine) {
  auto job = make_job(write_temp("empty.gcode", "G90\n"));
  ASSERT_NE(job, nullptr);
  Hal hal;
  hal.set_motion_job(job.get());
  Session s(hal);
  EXPECT_FALSE(s.run("loadrt motmod num_joints=3\n"));
  EXPECT_NE(s.err().find("motmod: num_joints=3, but the machine config has 4 steppers "
                         "(stepper_x, stepper_y, stepper_z, extruder): one joint per stepper"),
            std::string::npos)
      << s.err();
  EXPECT_EQ(hal.find_component("motmod"), nullptr);
  EXPECT_TRUE(hal.threads().empty());
}

TEST(Motmod, WiringCheckNamesWhatIsMissing) {
  Hal hal;
  EXPECT_NE(check_motion_wiring(hal).error().message.find("does not load motmod"), std::string::npos);
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt motmod\n")) << s.err();
  EXPECT_NE(check_motion_wiring(hal).error().message.find("motion-command-handler is in no thread"), std::string::npos);
  ASSERT_TRUE(s.run("addf motion-controller servo-thread\naddf motion-command-handler servo-thread\n")) << s.err();
  EXPECT_NE(check_motion_wiring(hal).error().message.find("must come before motion-controller"), std::string::npos);
  ASSERT_TRUE(s.run("delf motion-command-handler\naddf motion-command-handler servo-thread 1\n")) << s.err();
  EXPECT_NE(check_motion_wiring(hal).error().message.find("threads are not running"), std::string::npos);
}

TEST(MotionJob, ReportsAMissingGcodeFile) {
  auto machine = config::load(kPrinterCfg);
  ASSERT_TRUE(machine.ok());
  auto job = MotionJob::create(std::move(*machine), "/nonexistent/part.gcode");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message, "/nonexistent/part.gcode: error: cannot open G-code file");
}

}  // namespace
}  // namespace rtstep::hal
