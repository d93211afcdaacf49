// `rtstep run --backend`: the choice (auto asks the board), config errors naming section and key for pins a
// hardware backend refuses, and, on a machine without the hardware (this VM, CI), a clear error instead of
// a run. Tests that need the absence of a board skip themselves, saying why, where one exists.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "scratch_dir.hpp"
#include "machine/backend_choice.hpp"
#include "cli/run.hpp"

#include <unistd.h>

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;

std::string example_config() {
  std::ifstream in(kSource + "/examples/printer.cfg");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The example with its Klipper pin labels replaced by Raspberry Pi GPIO numbers.
std::string pi_config(const std::string& x_step = "gpio17") {
  std::string text = example_config();
  const std::pair<const char*, std::string> pins[] = {
      {"PB9", x_step},  {"PC2", "gpio18"}, {"PC3", "gpio4"},  {"PA5", "gpio5"},  {"PB7", "gpio22"},
      {"PB8", "gpio23"}, {"PA6", "gpio6"},  {"PB5", "gpio24"}, {"PB6", "gpio25"}, {"PA7", "gpio13"},
      {"PB3", "gpio26"}, {"PB4", "gpio27"}};
  for (const auto& [from, to] : pins) text = std::regex_replace(text, std::regex(std::string("\\b") + from + "\\b"), to);
  // The heaters' thermistors are on the board's ADC, which a Pi does not have: these tests are about the
  // steppers' pins, so the Pi has no heaters ([extruder]'s heater keys, [heater_bed] and [fan] go).
  std::istringstream lines(text);
  std::string out, line;
  bool dropping = false;
  while (std::getline(lines, line)) {
    if (line.rfind("heater_pin:", 0) == 0 || line == "[heater_bed]") dropping = true;
    if (line == "[mcu]") dropping = false;
    if (!dropping) out += line + "\n";
    if (line == "max_temp: 250") dropping = false;
  }
  return out;
}

class BackendTest : public ScratchDirTest {
 protected:
  BackendTest() : ScratchDirTest("rtstep-backend") {}
  RunSummary run(const std::string& config, const std::string& backend, bool virtual_clock = false) {
    RunOptions options;
    options.config_path = config;
    options.gcode_path = kSource + "/examples/square.gcode";
    options.backend = backend;
    options.virtual_clock = virtual_clock;
    return run_job(options, log_);
  }
  std::ostringstream log_;
};

TEST_F(BackendTest, AutoChoosesFromTheBoardAndSaysWhy) {
  const auto root = dir_ / "pi5";
  std::filesystem::create_directories(root / "proc/device-tree");
  std::ofstream(root / "proc/device-tree/compatible", std::ios::binary) << std::string("raspberrypi,5-model-b\0brcm,bcm2712\0", 34);
  std::ofstream(root / "proc/device-tree/model", std::ios::binary) << std::string("Raspberry Pi 5 Model B Rev 1.0\0", 31);
  auto pi5 = machine::choose_run_backend("auto", root.string());
  ASSERT_TRUE(pi5.ok());
  EXPECT_EQ(pi5->kind, gpio::BackendKind::kRpi5);
  EXPECT_EQ(pi5->note, "GPIO backend rpi5: Raspberry Pi 5 Model B Rev 1.0: RP1 registers through /dev/gpiomem0");
  auto bare = machine::choose_run_backend("auto", (dir_ / "empty").string());
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->kind, gpio::BackendKind::kSim);
  auto given = machine::choose_run_backend("rpi4");
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->kind, gpio::BackendKind::kRpi4);
  EXPECT_TRUE(given->note.empty());
  EXPECT_EQ(machine::choose_run_backend("pigpio").error().message,
            "unknown GPIO backend \"pigpio\" (choose sim, gpiod, rpi4, rpi5 or auto)");
}

TEST_F(BackendTest, APinTheBoardLacksNamesSectionAndKey) {
  const auto cfg = write("printer.cfg", pi_config("gpio99"));
  const RunSummary s = run(cfg, "rpi5");
  EXPECT_EQ(s.exit_code, ExitCode::kUsage);
  EXPECT_EQ(s.error, cfg + ": [stepper_x] step_pin: gpio99: the Raspberry Pi 5 has GPIO 0-27");
  const RunSummary s4 = run(cfg, "rpi4");
  EXPECT_EQ(s4.error, cfg + ": [stepper_x] step_pin: gpio99: the Raspberry Pi 4 has GPIO 0-57");
  // The Klipper labels of the example mean nothing to a register backend.
  const RunSummary labels = run(kSource + "/examples/printer.cfg", "rpi4");
  EXPECT_EQ(labels.exit_code, ExitCode::kUsage);
  EXPECT_EQ(labels.error, kSource + "/examples/printer.cfg: [stepper_x] step_pin: PB9: the rpi4 backend needs gpioN or "
                                    "GPION names (line names need the gpiod backend)");
}

TEST_F(BackendTest, AnEndstopThatIsAlsoAnOutputIsRefusedOnEveryBackend) {
  std::string text = pi_config();
  text = std::regex_replace(text, std::regex("endstop_pin: \\^gpio6"), "endstop_pin: ^gpio22");
  const auto cfg = write("printer.cfg", text);
  for (const char* backend : {"sim", "rpi5"}) {
    const RunSummary s = run(cfg, backend);
    EXPECT_EQ(s.exit_code, ExitCode::kUsage) << backend;
    EXPECT_EQ(s.error, cfg + ":35: [stepper_y] endstop_pin: pin \"^gpio22\" is already used by [stepper_y] step_pin (" +
                           cfg + ":30)")
        << backend;
  }
}

TEST_F(BackendTest, HardwareBackendsOnlyRunInRealTimeAndEmbedded) {
  const auto cfg = write("printer.cfg", pi_config());
  const RunSummary s = run(cfg, "rpi4", true);
  EXPECT_EQ(s.exit_code, ExitCode::kUsage);
  EXPECT_EQ(s.error, "--virtual-clock does not wait for real time: it only runs on the sim backend");
}

TEST_F(BackendTest, WithoutTheBoardAHardwareBackendFailsClearly) {
  if (std::filesystem::exists("/dev/gpiomem") || std::filesystem::exists("/dev/gpiomem0") ||
      std::filesystem::exists("/dev/gpiochip0")) {
    GTEST_SKIP() << "this machine has GPIO devices: the no-board errors cannot be provoked here";
  }
  const auto cfg = write("printer.cfg", pi_config());
  const RunSummary rpi4 = run(cfg, "rpi4");
  EXPECT_EQ(rpi4.exit_code, ExitCode::kExecutorFault);
  EXPECT_EQ(rpi4.error, "/dev/gpiomem does not exist: is this the right board, and is the GPIO driver loaded?");
  const RunSummary rpi5 = run(cfg, "rpi5");
  EXPECT_EQ(rpi5.error, "/dev/gpiomem0 does not exist: is this the right board, and is the GPIO driver loaded?");
  const RunSummary gpiod = run(cfg, "gpiod");
  EXPECT_EQ(gpiod.exit_code, ExitCode::kExecutorFault);
  EXPECT_EQ(gpiod.error.rfind(cfg + ": GPIO chip gpiochip0 not found: list the chips with `gpiodetect`", 0), 0u)
      << gpiod.error;
  EXPECT_EQ(gpiod.backend, "gpiod");
}

TEST_F(BackendTest, AutoOnAMachineWithoutGpioRunsTheSimBackend) {
  if (gpio::choose_backend("/").kind != gpio::BackendKind::kSim) {
    GTEST_SKIP() << "this machine has a board or a GPIO chip: auto would drive real pins";
  }
  const RunSummary s = run(kSource + "/examples/printer.cfg", "auto", true);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.backend, "sim");
  EXPECT_NE(log_.str().find("rtstep run: GPIO backend sim: no Raspberry Pi and no GPIO character device"),
            std::string::npos)
      << log_.str();
  EXPECT_EQ(s.to_json()["backend"], "sim");
}

}  // namespace
}  // namespace rtstep::cli
