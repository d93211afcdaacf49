// Heaters and thermistors on a board flashed with Klipper's firmware, as `rtstep serve --mcu` drives them:
// the controller (machine::Controller, options.mcu) against rtstep-mcu-sim, a real process on a real
// pseudo-terminal whose analog pin PC5 reads the thermistor of a heater model heated by the board's own pin
// PA1 (--heater). The steppers stay on this computer (the sim backend): only the hot end is on the board.
//   - M109 heats to the target in a closed loop through the board: the board's ADC reports feed the PID, and
//     the PID's duty drives the board's pin;
//   - the board's max_duration turns the heater off by itself when the host stops renewing it;
//   - a reading out of range shuts the board down and is a thermal shutdown naming the heater;
//   - an emergency stop and the end of the controller turn the board's heater off.
// The tests assert states and orders (what the board recorded, in its clock), never how long things took.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "machine/controller.hpp"
#include "machine/mcu_boards.hpp"
#include "machine/thermal_link.hpp"
#include "sim_process.hpp"
#include "util/clock.hpp"

namespace rtstep::mcu {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using test::SimProcess;
using test::SimRecord;

constexpr double kClockHz = 16'000'000;
// A small, quick hot end: 60 W into 2 J/K, losing 0.6 W/K, its thermistor 0.5 s behind; no noise. Ambient
// 30 C, not the 25 C of rtstep's own sim plant, so a temperature of 30 C can only come from the board.
const std::vector<std::string> kBoardWithHotEnd = {
    "--clock-freq", "16000000", "--heater",
    "PC5=PA1,heater_power=60,heat_capacity=2,ambient_loss=0.6,sensor_lag=0.5,noise=0,ambient_temp=30"};

// The steppers on this computer's GPIO (the sim backend), the hot end's heater and thermistor, the part fan
// and the hot end's fan on [mcu].
std::string config_text(const std::string& serial) {
  return R"([printer]
kinematics: cartesian
max_velocity: 200
max_accel: 3000
max_z_velocity: 5
max_z_accel: 100

[stepper_x]
step_pin: gpio5
dir_pin: gpio6
microsteps: 16
rotation_distance: 40
endstop_pin: gpio7
position_endstop: 0
position_max: 200

[stepper_y]
step_pin: gpio8
dir_pin: gpio9
microsteps: 16
rotation_distance: 40
endstop_pin: gpio10
position_endstop: 0
position_max: 200

[stepper_z]
step_pin: gpio11
dir_pin: gpio12
microsteps: 16
rotation_distance: 8
endstop_pin: gpio13
position_endstop: 0
position_max: 100

[extruder]
step_pin: gpio14
dir_pin: gpio15
microsteps: 16
rotation_distance: 33.5
nozzle_diameter: 0.4
filament_diameter: 1.75
heater_pin: PA1
sensor_type: EPCOS 100K B57560G104F
sensor_pin: PC5
control: pid
pid_Kp: 15
pid_Ki: 2
pid_Kd: 20
min_temp: 0
max_temp: 120
min_extrude_temp: 0

[fan]
pin: PA3

[heater_fan hotend_fan]
pin: PA4

[mcu]
serial: )" + serial + R"(

[rt]
max_lateness: 0
max_bunch: 0
heartbeat_timeout: 1
buffer_time: 0.5
)";
}

class HeaterOnBoard : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rtstep-mcu-heater-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    controller_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string write_config(const SimProcess& board) {
    const std::string path = (dir_ / "printer.cfg").string();
    std::ofstream(path) << config_text(board.pty());
    return path;
  }

  // rtstep serve --mcu on the board's config, until the controller is ready.
  void serve(const SimProcess& board) {
    machine::ControllerOptions options;
    options.config_path = write_config(board);
    options.sdcard_path = dir_.string();
    options.mcu = true;
    machine::ControllerHooks hooks;
    hooks.log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      log_ += line + "\n";
    };
    auto created = machine::Controller::create(options, hooks);
    ASSERT_TRUE(created) << created.error().message;
    controller_ = std::move(*created);
    ASSERT_TRUE(reaches([&] { return status("webhooks")["state"] == "ready"; })) << status("webhooks").dump() << log();
  }

  machine::ScriptOutcome run(const std::string& script) {
    std::promise<machine::ScriptOutcome> promise;
    auto future = promise.get_future();
    controller_->run_script(script, [&promise](machine::ScriptOutcome outcome) { promise.set_value(std::move(outcome)); });
    EXPECT_EQ(future.wait_for(60s), std::future_status::ready) << script;
    return future.get();
  }

  Json status(const std::string& object) {
    std::promise<Json> promise;
    auto future = promise.get_future();
    controller_->query_status({{object, std::nullopt}}, [&promise](Json j) { promise.set_value(std::move(j)); });
    EXPECT_EQ(future.wait_for(30s), std::future_status::ready);
    Json all = future.get();
    return all.contains(object) ? all[object] : Json();
  }

  // Polls until `done` (a state the machine must reach; the bound only keeps a broken build from hanging).
  static bool reaches(const std::function<bool()>& done) {
    for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::string log() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  std::filesystem::path dir_;
  std::unique_ptr<machine::Controller> controller_;
  std::mutex log_mu_;
  std::string log_;
};

// The heater pin's updates as the board applied them, and whether any turned it on.
bool heater_was_on(const SimRecord& record) {
  const auto outs = record.outputs_of("PA1");
  return std::any_of(outs.begin(), outs.end(), [](const SimRecord::Output& o) { return o.on_ticks > 0; });
}

TEST_F(HeaterOnBoard, M109HeatsToTheTargetThroughTheBoardsAdcAndPin) {
  SimProcess board(kBoardWithHotEnd);
  ASSERT_TRUE(board.running());
  serve(board);
  // The first readings are the board's: its hot end sits at its own ambient, 30 C.
  ASSERT_TRUE(reaches([&] { return status("extruder")["temperature"].get<double>() > 0; }));
  EXPECT_NEAR(status("extruder")["temperature"].get<double>(), 30.0, 1.0);
  EXPECT_FALSE(heater_was_on(board.record()));

  const machine::ScriptOutcome heated = run("M109 S40");
  ASSERT_TRUE(heated.ok) << heated.error << log();
  // M109 returned on Klipper's settle rule; the board's own model agrees the hot end is there.
  const Json extruder = status("extruder");
  EXPECT_NEAR(extruder["temperature"].get<double>(), 40.0, 1.5) << extruder.dump();
  EXPECT_EQ(extruder["target"], 40.0);
  const SimRecord record = board.record();
  ASSERT_EQ(record.heaters.count("PC5"), 1u);
  EXPECT_NEAR(record.heaters.at("PC5"), 40.0, 2.0);
  EXPECT_TRUE(record.shutdowns.empty());
  // The PID drove the board's pin: soft PWM on the 0.1 s cycle (1.6 M ticks), on hard while far below the
  // target, backing off as it comes near.
  const auto outs = record.outputs_of("PA1");
  ASSERT_GE(outs.size(), 2u);
  const uint32_t cycle = static_cast<uint32_t>(0.1 * kClockHz);
  EXPECT_GT(outs.front().on_ticks, cycle / 2);
  EXPECT_LE(outs.front().on_ticks, cycle);
  EXPECT_LT(outs.back().on_ticks, outs.front().on_ticks);
  EXPECT_TRUE(std::is_sorted(outs.begin(), outs.end(), [](const auto& a, const auto& b) { return a.clock < b.clock; }));
  const std::string m105 = run("M105").ack;
  EXPECT_EQ(m105.rfind("T:", 0), 0u) << m105;
  EXPECT_NE(m105.find(" /40.0"), std::string::npos) << m105;
}

TEST_F(HeaterOnBoard, AnEmergencyStopTurnsTheBoardsHeaterOff) {
  SimProcess board(kBoardWithHotEnd);
  ASSERT_TRUE(board.running());
  serve(board);
  ASSERT_TRUE(run("M104 S80").ok);
  ASSERT_TRUE(reaches([&] { return heater_was_on(board.record()); }));
  (void)run("M112");
  ASSERT_TRUE(reaches([&] { return status("webhooks")["state"] == "shutdown"; }));
  ASSERT_TRUE(reaches([&] { return !board.record().shutdowns.empty(); }));
  const SimRecord record = board.record();
  EXPECT_EQ(record.shutdowns, (std::vector<std::string>{"Command request"}));
  // On while heating, then off at the board's shutdown, and nothing after it.
  const auto outs = record.outputs_of("PA1");
  ASSERT_GE(outs.size(), 2u);
  EXPECT_GT(outs.front().on_ticks, 0u);
  EXPECT_EQ(outs.back().on_ticks, 0u);
  // The hot end's fan came on with the heater and keeps running through the shutdown (its shutdown value).
  const auto fan = record.outputs_of("PA4");
  ASSERT_FALSE(fan.empty());
  EXPECT_GT(fan.back().on_ticks, 0u);
}

TEST_F(HeaterOnBoard, TheEndOfTheControllerTurnsTheBoardsHeaterOff) {
  SimProcess board(kBoardWithHotEnd);
  ASSERT_TRUE(board.running());
  serve(board);
  ASSERT_TRUE(run("M104 S80").ok);
  ASSERT_TRUE(reaches([&] { return heater_was_on(board.record()); }));
  controller_.reset();  // as SIGTERM ends rtstep serve
  const SimRecord record = board.record();
  // Switched off by the host, not by the board's max_duration: no shutdown.
  EXPECT_TRUE(record.shutdowns.empty());
  const auto outs = record.outputs_of("PA1");
  ASSERT_FALSE(outs.empty());
  EXPECT_EQ(outs.back().on_ticks, 0u);
}

TEST_F(HeaterOnBoard, M106DrivesTheBoardsFanPin) {
  SimProcess board(kBoardWithHotEnd);
  ASSERT_TRUE(board.running());
  serve(board);
  const uint32_t cycle = static_cast<uint32_t>(0.01 * kClockHz);  // a fan's cycle_time
  const auto last_fan = [&]() -> std::optional<uint32_t> {
    const auto outs = board.record().outputs_of("PA3");
    if (outs.empty()) return std::nullopt;
    return outs.back().on_ticks;
  };
  ASSERT_TRUE(run("M106 S128").ok);
  // Kicked to full for kick_start_time, then half (128 of 255) of the 10 ms cycle.
  ASSERT_TRUE(reaches([&] { return last_fan() == static_cast<uint32_t>(std::lround(128.0 / 255 * cycle)); }))
      << (last_fan() ? *last_fan() : 0);
  const auto outs = board.record().outputs_of("PA3");
  EXPECT_EQ(outs.front().on_ticks, cycle);
  ASSERT_TRUE(run("M107").ok);
  ASSERT_TRUE(reaches([&] { return last_fan() == 0u; }));
  EXPECT_TRUE(board.record().shutdowns.empty());
}

TEST_F(HeaterOnBoard, AReadingOutOfRangeIsAThermalShutdownNamingTheHeater) {
  // The ADC report of older firmware (one value per analog_in_state) this time.
  std::vector<std::string> args = kBoardWithHotEnd;
  args.insert(args.end(), {"--legacy-adc", "1"});
  SimProcess board(args);
  ASSERT_TRUE(board.running());
  serve(board);
  ASSERT_TRUE(reaches([&] { return status("extruder")["temperature"].get<double>() > 0; }));
  board.signal(SIGHUP);  // the thermistor shorts: far above max_temp
  ASSERT_TRUE(reaches([&] { return status("webhooks")["state"] == "shutdown"; })) << log();
  const std::string message = status("webhooks")["state_message"];
  EXPECT_EQ(message.rfind("ADC out of range\nSensor 'extruder' temperature ", 0), 0u) << message;
  EXPECT_NE(message.find("not in range 0.000:120.000\nMCU 'mcu' shutdown: ADC out of range (extruder)"), std::string::npos)
      << message;
  // The board shut itself down on its own range check.
  EXPECT_EQ(board.record().shutdowns, (std::vector<std::string>{"ADC out of range"}));
  const machine::ScriptOutcome refused = run("M104 S50");
  EXPECT_FALSE(refused.ok);
}

// The host sets the heater once and never again: the board turns it off by itself max_duration (3 s) after
// that update took effect, by shutting down. McuBoards and ThermalLink's pins, without the controller.
TEST_F(HeaterOnBoard, TheBoardTurnsAHeaterNotRenewedOffAfterMaxDuration) {
  SimProcess board(kBoardWithHotEnd);
  ASSERT_TRUE(board.running());
  const std::string path = write_config(board);
  auto raw = config::read_raw(path);
  ASSERT_TRUE(raw) << raw.error().message;
  auto machine = config::interpret(*raw, path);
  ASSERT_TRUE(machine) << machine.error().message;
  auto thermal = machine::ThermalLink::create(*raw, true, monotonic_ns(), machine->mcus);
  ASSERT_TRUE(thermal) << thermal.error().message;
  const machine::BoardThermalPins& pins = (*thermal)->board_pins();
  ASSERT_EQ(pins.outputs.size(), 3u);  // the extruder's heater (output 0), the two fans
  EXPECT_EQ(pins.outputs[0].spec.name, "extruder");
  ASSERT_EQ(pins.sensors.size(), 1u);
  EXPECT_EQ(pins.outputs[0].spec.max_duration_ns, 3'000'000'000);
  EXPECT_TRUE((*thermal)->soft_pwm_outputs().empty());  // nothing left for the executor
  auto boards = machine::McuBoards::plan(*machine, {}, pins);
  ASSERT_TRUE(boards) << boards.error().message;
  ASSERT_TRUE(*boards);
  ASSERT_TRUE((*boards)->start()) << "the board did not start";
  (*boards)->set_thermal_output(0, monotonic_ns(), 1.0);
  ASSERT_TRUE(reaches([&] { return !(*boards)->fault().empty(); }));
  EXPECT_EQ((*boards)->fault(), "MCU 'mcu' shutdown: Missed scheduling of next digital out event");
  const SimRecord record = board.record();
  EXPECT_EQ(record.shutdowns, (std::vector<std::string>{"Missed scheduling of next digital out event"}));
  const auto outs = record.outputs_of("PA1");
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_GE(outs[0].on_ticks, static_cast<uint32_t>(0.1 * kClockHz));  // fully on
  EXPECT_EQ(outs[1].on_ticks, 0u);
  EXPECT_EQ(outs[1].clock - outs[0].clock, static_cast<uint64_t>(3 * kClockHz));
}

}  // namespace
}  // namespace rtstep::mcu

namespace rtstep::mcu {
namespace {

// Not a test: the figures of docs/HARDWARE.md (the ADC report cadence and the link's traffic while a board
// heater holds its target), measured through ThermalLink's loop as the controller runs it (a tick every
// 50 ms). Run with --gtest_also_run_disabled_tests --gtest_filter='*HeaterTraffic*'.
TEST_F(HeaterOnBoard, DISABLED_HeaterTraffic) {
  SimProcess board(kBoardWithHotEnd);
  ASSERT_TRUE(board.running());
  const std::string path = write_config(board);
  auto raw = config::read_raw(path);
  ASSERT_TRUE(raw);
  auto machine = config::interpret(*raw, path);
  ASSERT_TRUE(machine);
  auto thermal = machine::ThermalLink::create(*raw, true, monotonic_ns(), machine->mcus);
  ASSERT_TRUE(thermal);
  auto planned = machine::McuBoards::plan(*machine, {}, (*thermal)->board_pins());
  ASSERT_TRUE(planned && *planned);
  std::shared_ptr<machine::McuBoards> boards = std::move(*planned);
  ASSERT_TRUE(boards->start());
  (*thermal)->attach_boards(boards);
  ASSERT_TRUE((*thermal)->system().set_target("extruder", 40));
  const auto run_for = [&](int64_t ns) {
    for (const int64_t end = monotonic_ns() + ns; monotonic_ns() < end;) {
      (*thermal)->tick(monotonic_ns());
      std::this_thread::sleep_for(50ms);
    }
  };
  run_for(8'000'000'000);  // heat up and settle
  const machine::McuBoardSummary before = boards->summaries().at(0);
  const int64_t began = monotonic_ns();
  run_for(20'000'000'000);
  const double s = static_cast<double>(monotonic_ns() - began) * 1e-9;
  const machine::McuBoardSummary after = boards->summaries().at(0);
  std::printf("holding 40 C for %.1f s: extruder %.2f C\n", s,
              (*thermal)->system().heater_status(0, monotonic_ns()).temperature);
  std::printf("ADC reports: %.2f per s (%.3f s apart)\n", static_cast<double>(after.adc_reports - before.adc_reports) / s,
              s / static_cast<double>(after.adc_reports - before.adc_reports));
  std::printf("heater updates: %.2f per s, %.1f message bytes per s\n",
              static_cast<double>(after.output_commands - before.output_commands) / s,
              static_cast<double>(after.output_bytes - before.output_bytes) / s);
  std::printf("host -> board, every block with its framing (heater updates, clock queries): %.1f bytes per s\n",
              static_cast<double>(after.bytes_sent - before.bytes_sent) / s);
}

}  // namespace
}  // namespace rtstep::mcu
