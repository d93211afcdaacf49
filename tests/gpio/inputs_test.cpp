// Input pins (endstops): the sim backend's scriptable inputs, the register backends against a file
// standing in for the device (configuration touches only the pins' fields; a read maps the level register
// to logical inputs with inversion), refusals, and check_pin_name's messages for the config reader.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "gpio/hardware.hpp"

namespace rtstep::gpio {
namespace {

constexpr uint32_t kPattern = 0xa5c3'5a3cu;  // every register word before rtstep touches it

// A register image file of kPattern words, mapped like the device.
class Image {
 public:
  explicit Image(std::size_t bytes)
      : path_(std::filesystem::temp_directory_path() /
              ("rtstep-inputs-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        words_(bytes / 4, kPattern) {
    std::ofstream(path_, std::ios::binary)
        .write(reinterpret_cast<const char*>(words_.data()), static_cast<std::streamsize>(bytes));
  }
  ~Image() { std::filesystem::remove(path_); }
  MmioRegion map() const {
    auto region = MmioRegion::map(path_.string(), words_.size() * 4);
    EXPECT_TRUE(region.ok());
    return std::move(region.value());
  }
  std::map<std::size_t, uint32_t> changed(const MmioRegion& r) const {
    std::map<std::size_t, uint32_t> out;
    for (std::size_t i = 0; i < words_.size(); ++i) {
      if (*r.reg(4 * i) != kPattern) out[4 * i] = *r.reg(4 * i);
    }
    return out;
  }

 private:
  std::filesystem::path path_;
  std::vector<uint32_t> words_;
};

uint32_t with_field(uint32_t word, unsigned shift, uint32_t mask, uint32_t value) {
  return (word & ~(mask << shift)) | (value << shift);
}

TEST(SimInputs, ForcedLevelsAndPositionRules) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(std::vector<PinSpec>{{"step", false}, {"dir", false}}).ok());
  sim.track_stepper(0, 1);
  ASSERT_TRUE(sim.configure_inputs(std::vector<InputSpec>{{"x_min", false, Pull::kUp}, {"probe", true, Pull::kNone}}).ok());
  EXPECT_EQ(sim.read_inputs(), 0u);
  sim.set_input(1, true);
  EXPECT_EQ(sim.read_inputs(), 0b10u);
  sim.set_input(1, false);
  // x_min trips when the position (0.0125 mm per step) is <= -0.05 mm: at -4 steps, not before.
  const std::vector<double> weights{0.0125};
  sim.set_input_rule(0, weights, -0.05, false);
  for (int i = 0; i < 3; ++i) {
    sim.write(0b01, 0, 0, 0);  // dir low: each rising step edge counts -1
    sim.write(0, 0b01, 0, 0);
    EXPECT_EQ(sim.read_inputs(), 0u) << "tripped early at step " << i + 1;
  }
  sim.write(0b01, 0, 0, 0);
  EXPECT_EQ(sim.position(0), -4);
  EXPECT_EQ(sim.read_inputs(), 0b01u);
}

TEST(SimInputs, AnInputWithSeveralRulesIsTriggeredWhenAnyHolds) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(std::vector<PinSpec>{{"x_step", false}, {"x_dir", false}, {"y_step", false}, {"y_dir", false}}).ok());
  sim.track_stepper(0, 1);
  sim.track_stepper(2, 3);
  ASSERT_TRUE(sim.configure_inputs(std::vector<InputSpec>{{"xy_min", false, Pull::kUp}}).ok());
  sim.set_input_rule(0, std::vector<double>{1.0, 0.0}, -2, false);  // X's switch at -2 steps
  sim.set_input_rule(0, std::vector<double>{0.0, 1.0}, -3, false);  // Y's at -3, on the same pin
  const auto step = [&](PinMask pin) {
    sim.write(pin, 0, 0, 0);  // dir low: a rising step edge counts -1
    sim.write(0, pin, 0, 0);
  };
  step(0b0001);
  EXPECT_EQ(sim.read_inputs(), 0u);
  step(0b0001);
  EXPECT_EQ(sim.read_inputs(), 1u) << "X at its switch";
  SimBackend other;  // Y alone reaches its switch
  ASSERT_TRUE(other.configure(std::vector<PinSpec>{{"x_step", false}, {"x_dir", false}, {"y_step", false}, {"y_dir", false}}).ok());
  other.track_stepper(0, 1);
  other.track_stepper(2, 3);
  ASSERT_TRUE(other.configure_inputs(std::vector<InputSpec>{{"xy_min", false, Pull::kUp}}).ok());
  other.set_input_rule(0, std::vector<double>{1.0, 0.0}, -2, false);
  other.set_input_rule(0, std::vector<double>{0.0, 1.0}, -3, false);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(other.read_inputs(), 0u) << "before Y's switch, step " << i;
    other.write(0b0100, 0, 0, 0);
    other.write(0, 0b0100, 0, 0);
  }
  EXPECT_EQ(other.read_inputs(), 1u) << "Y at its switch";
}

TEST(SimInputs, AnInputCannotAlsoBeAnOutput) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(std::vector<PinSpec>{{"PA5", false}}).ok());
  EXPECT_EQ(sim.configure_inputs(std::vector<InputSpec>{{"PA5", false, Pull::kUp}}).error().message,
            "pin PA5 used twice");
}

TEST(Rpi4Inputs, ConfigureSetsFunctionAndPullFieldsOnly) {
  Image image(bcm2711::kBlockBytes);
  Rpi4Backend backend(image.map());
  ASSERT_TRUE(backend.configure(std::vector<PinSpec>{{"gpio17", false}}).ok());
  MmioRegion view = image.map();
  const auto before = image.changed(view);
  // Pins whose fields in kPattern differ from what configure writes, so every write is visible.
  const std::vector<InputSpec> inputs{{"gpio23", false, Pull::kDown}, {"gpio35", true, Pull::kUp}, {"gpio4", false, Pull::kNone}};
  ASSERT_TRUE(backend.configure_inputs(inputs).ok());
  auto after = image.changed(view);
  // GPFSEL: 000 (input) in each input's field; gpio17's output field (GPFSEL1) kept.
  EXPECT_EQ(after[bcm2711::kGpfsel0 + 8], with_field(kPattern, 9, 7, 0));   // gpio23
  EXPECT_EQ(after[bcm2711::kGpfsel0 + 12], with_field(kPattern, 15, 7, 0)); // gpio35
  EXPECT_EQ(after[bcm2711::kGpfsel0 + 0], with_field(kPattern, 12, 7, 0));  // gpio4
  EXPECT_EQ(after[bcm2711::kGpfsel0 + 4], before.at(bcm2711::kGpfsel0 + 4)) << "gpio17's output field changed";
  // Pulls: 2 bits per pin, 16 pins per register.
  EXPECT_EQ(after[bcm2711::kPullCntrl0 + 4], with_field(kPattern, 14, 3, bcm2711::kPullDown));  // gpio23
  EXPECT_EQ(after[bcm2711::kPullCntrl0 + 8], with_field(kPattern, 6, 3, bcm2711::kPullUp));     // gpio35
  EXPECT_EQ(after[bcm2711::kPullCntrl0 + 0], with_field(kPattern, 8, 3, bcm2711::kPullNone));   // gpio4
  EXPECT_EQ(after.size(), before.size() + 6) << "a register outside the inputs' fields changed";
}

TEST(Rpi4Inputs, ReadMapsLevelsWithInversion) {
  Image image(bcm2711::kBlockBytes);
  Rpi4Backend backend(image.map());
  ASSERT_TRUE(backend.configure(std::vector<PinSpec>{{"gpio17", false}}).ok());
  ASSERT_TRUE(backend.configure_inputs(std::vector<InputSpec>{{"gpio22", false, Pull::kUp}, {"gpio35", true, Pull::kUp}}).ok());
  MmioRegion view = image.map();
  *view.reg(bcm2711::kGplev0) = 0;
  *view.reg(bcm2711::kGplev0 + 4) = 0;
  EXPECT_EQ(backend.read_inputs(), 0b10u) << "gpio35 is inverted: low reads triggered";
  *view.reg(bcm2711::kGplev0) = 1u << 22;
  *view.reg(bcm2711::kGplev0 + 4) = 1u << (35 - 32);
  EXPECT_EQ(backend.read_inputs(), 0b01u);
}

TEST(Rpi4Inputs, AnOutputPinIsRefusedAsAnInput) {
  Image image(bcm2711::kBlockBytes);
  Rpi4Backend backend(image.map());
  ASSERT_TRUE(backend.configure(std::vector<PinSpec>{{"gpio17", false}}).ok());
  EXPECT_EQ(backend.configure_inputs(std::vector<InputSpec>{{"GPIO17", false, Pull::kUp}}).error().message,
            "pin \"GPIO17\" is GPIO 17, already used as an output");
  EXPECT_EQ(backend.configure_inputs(std::vector<InputSpec>{{"gpio60", false, Pull::kUp}}).error().message,
            "pin \"gpio60\": the rpi4 backend has GPIO 0 to 57");
}

TEST(Rpi5Inputs, ConfigureDisablesTheDriverAndSetsThePad) {
  Image image(rp1::kWindowBytes);
  Rpi5Backend backend(image.map());
  ASSERT_TRUE(backend.configure(std::vector<PinSpec>{{"gpio4", false}}).ok());
  MmioRegion view = image.map();
  const auto before = image.changed(view);
  ASSERT_TRUE(backend.configure_inputs(std::vector<InputSpec>{{"gpio5", false, Pull::kUp}, {"gpio6", true, Pull::kDown}}).ok());
  auto after = image.changed(view);
  EXPECT_EQ(after[rp1::kSysRio0 + rp1::kAliasClr + rp1::kRioOe], (1u << 5) | (1u << 6));
  const uint32_t cleared = kPattern & ~(rp1::kPadPullUp | rp1::kPadPullDown);
  const uint32_t input = rp1::kPadOutputDisable | rp1::kPadInputEnable;
  EXPECT_EQ(after[rp1::kPadsBank0 + 4 + 4 * 5], cleared | input | rp1::kPadPullUp);
  EXPECT_EQ(after[rp1::kPadsBank0 + 4 + 4 * 6], cleared | input | rp1::kPadPullDown);
  for (std::size_t n : {5u, 6u}) {
    EXPECT_EQ(after[rp1::kIoBank0 + 8 * n + 4], with_field(kPattern, 0, 0x1f, rp1::kFuncselSysRio)) << n;
  }
  EXPECT_EQ(after.size(), before.size() + 5) << "a register outside the inputs' fields changed";
  // Reads come from RIO SYNC_IN; gpio6 is inverted.
  *view.reg(rp1::kSysRio0 + rp1::kRioSyncIn) = 1u << 5;
  EXPECT_EQ(backend.read_inputs(), 0b11u);
  *view.reg(rp1::kSysRio0 + rp1::kRioSyncIn) = 1u << 6;
  EXPECT_EQ(backend.read_inputs(), 0b00u);
}

TEST(GpiodInputs, MissingChipSaysHowToFindOne) {
  GpiodBackend backend("gpiochip99");
  const Status st = backend.configure_inputs(std::vector<InputSpec>{{"gpio22", false, Pull::kUp}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.rfind("GPIO chip gpiochip99 not found", 0), 0u) << st.error().message;
}

TEST(CheckPinName, SaysWhatTheBoardHas) {
  EXPECT_TRUE(check_pin_name(BackendKind::kRpi5, "gpio27").ok());
  EXPECT_EQ(check_pin_name(BackendKind::kRpi5, "gpio99").error().message, "gpio99: the Raspberry Pi 5 has GPIO 0-27");
  EXPECT_EQ(check_pin_name(BackendKind::kRpi4, "GPIO58").error().message, "GPIO58: the Raspberry Pi 4 has GPIO 0-57");
  EXPECT_EQ(check_pin_name(BackendKind::kRpi4, "PB9").error().message,
            "PB9: the rpi4 backend needs gpioN or GPION names (line names need the gpiod backend)");
  EXPECT_TRUE(check_pin_name(BackendKind::kGpiod, "gpiochip0/ID_SDA").ok());
  EXPECT_EQ(check_pin_name(BackendKind::kGpiod, "chip0/gpio1").error().message,
            "pin \"chip0/gpio1\": \"chip0\" is not a chip name like gpiochip0");
  EXPECT_TRUE(check_pin_name(BackendKind::kSim, "PB9").ok());
}

}  // namespace
}  // namespace rtstep::gpio
