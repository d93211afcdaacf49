// Register backends run against a file standing in for the device: after configuring and toggling pins,
// the register words hold exactly the expected bits and nothing outside the pins' fields changes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "gpio/hardware.hpp"

namespace rtstep::gpio {
namespace {

constexpr uint32_t kPattern = 0xa5c3'5a3cu;  // what every register word holds before rtstep touches it

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("rtstep-gpio-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A register image: `bytes` of kPattern words in a file, mapped like the device would be.
class RegisterImage {
 public:
  RegisterImage(const TempDir& dir, std::size_t bytes) : path_((dir / "regs").string()), words_(bytes / 4, kPattern) {
    std::ofstream(path_, std::ios::binary).write(reinterpret_cast<const char*>(words_.data()),
                                                 static_cast<std::streamsize>(bytes));
  }
  MmioRegion map() const {
    auto region = MmioRegion::map(path_, words_.size() * 4);
    EXPECT_TRUE(region.ok());
    return std::move(region.value());
  }
  // Every word whose value differs from the pattern: byte offset -> value.
  std::map<std::size_t, uint32_t> changed(const MmioRegion& region) const {
    std::map<std::size_t, uint32_t> out;
    for (std::size_t i = 0; i < words_.size(); ++i) {
      const uint32_t v = *region.reg(4 * i);
      if (v != kPattern) out[4 * i] = v;
    }
    return out;
  }
  void restore(const MmioRegion& region, std::size_t offset) const { *region.reg(offset) = kPattern; }

 private:
  std::string path_;
  std::vector<uint32_t> words_;
};

uint32_t with_field(uint32_t word, unsigned shift, uint32_t mask, uint32_t value) {
  return (word & ~(mask << shift)) | (value << shift);
}

TEST(PinAddress, NamesAsPrinterCfgWritesThem) {
  auto a = parse_pin_address("gpio17");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->chip, "");
  EXPECT_EQ(a->line, 17);
  auto b = parse_pin_address("gpiochip4/gpio5");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->chip, "gpiochip4");
  EXPECT_EQ(b->line, 5);
  auto c = parse_pin_address("gpiochip0/GPIO17");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->line, -1);
  EXPECT_EQ(c->line_name, "GPIO17");
}

TEST(PinAddress, BadNamesSayWhatIsWrong) {
  EXPECT_EQ(parse_pin_address("").error().message, "empty pin name");
  EXPECT_EQ(parse_pin_address("gpio").error().message, "pin \"gpio\": no line number after \"gpio\"");
  EXPECT_EQ(parse_pin_address("gpio1x").error().message, "pin \"gpio1x\": bad line number \"1x\"");
  EXPECT_EQ(parse_pin_address("chip0/gpio1").error().message,
            "pin \"chip0/gpio1\": \"chip0\" is not a chip name like gpiochip0");
  EXPECT_EQ(parse_pin_address("gpiochip0/").error().message, "pin \"gpiochip0/\": no line after the chip");
  EXPECT_EQ(parse_pin_address("gpio 4").error().message, "pin \"gpio 4\": unexpected character ' '");
}

TEST(Rpi4Backend, ConfigureSetsOnlyTheFunctionFieldsOfItsPins) {
  TempDir dir;
  RegisterImage image(dir, bcm2711::kBlockBytes);
  Rpi4Backend backend(image.map());
  const std::vector<PinSpec> pins{{"gpio17", false}, {"GPIO27", true}, {"gpio5", false}, {"gpio40", false}};
  ASSERT_TRUE(backend.configure(pins).ok());

  MmioRegion view = image.map();
  auto changed = image.changed(view);
  // Function select: 001 in each pin's 3-bit field, the other fields as they were.
  EXPECT_EQ(changed[bcm2711::kGpfsel0 + 0], with_field(kPattern, 15, 7, 1));  // gpio5
  EXPECT_EQ(changed[bcm2711::kGpfsel0 + 4], with_field(kPattern, 21, 7, 1));  // gpio17
  EXPECT_EQ(changed[bcm2711::kGpfsel0 + 8], with_field(kPattern, 21, 7, 1));  // gpio27
  EXPECT_EQ(changed[bcm2711::kGpfsel0 + 16], with_field(kPattern, 0, 7, 1));  // gpio40
  // Logical 0 everywhere: gpio27 is inverted, so it is driven high; the others low.
  EXPECT_EQ(changed[bcm2711::kGpset0], 1u << 27);
  EXPECT_EQ(changed[bcm2711::kGpclr0], (1u << 17) | (1u << 5));
  EXPECT_EQ(changed[bcm2711::kGpclr0 + 4], 1u << (40 - 32));
  EXPECT_EQ(changed.size(), 7u) << "a register outside the pins' fields changed";
}

TEST(Rpi4Backend, OneWriteSetsAndClearsSeveralPins) {
  TempDir dir;
  RegisterImage image(dir, bcm2711::kBlockBytes);
  Rpi4Backend backend(image.map());
  const std::vector<PinSpec> pins{{"gpio17", false}, {"gpio27", true}, {"gpio40", false}, {"gpio2", false}};
  ASSERT_TRUE(backend.configure(pins).ok());
  MmioRegion view = image.map();
  for (std::size_t r : {bcm2711::kGpset0, bcm2711::kGpset0 + 4, bcm2711::kGpclr0, bcm2711::kGpclr0 + 4}) {
    image.restore(view, r);
  }
  const auto before = image.changed(view);
  backend.write(0b0111, 0b1000, 0, 0);  // 17 high, 27 logical high (physically low), 40 high, 2 low
  auto after = image.changed(view);
  EXPECT_EQ(after[bcm2711::kGpset0], 1u << 17);
  EXPECT_EQ(after[bcm2711::kGpset0 + 4], 1u << 8);
  EXPECT_EQ(after[bcm2711::kGpclr0], (1u << 27) | (1u << 2));
  EXPECT_FALSE(after.count(bcm2711::kGpclr0 + 4)) << "GPCLR1 written although no pin 32-57 goes low";
  EXPECT_EQ(after.size(), before.size() + 3);
}

TEST(Rpi4Backend, BadPinsAreRefused) {
  TempDir dir;
  RegisterImage image(dir, bcm2711::kBlockBytes);
  Rpi4Backend backend(image.map());
  const std::vector<PinSpec> twice{{"gpio17", false}, {"GPIO17", false}};
  EXPECT_EQ(backend.configure(twice).error().message, "pin \"GPIO17\" is GPIO 17, already used as \"gpio17\"");
  const std::vector<PinSpec> high{{"gpio58", false}};
  EXPECT_EQ(backend.configure(high).error().message, "pin \"gpio58\": the rpi4 backend has GPIO 0 to 57");
  const std::vector<PinSpec> named{{"ID_SDA", false}};
  EXPECT_EQ(backend.configure(named).error().message,
            "pin \"ID_SDA\": the rpi4 backend needs gpioN or GPION names (line names need the gpiod backend)");
}

TEST(Rpi5Backend, ConfigureHandsThePinsToRioWithoutTouchingOtherFields) {
  TempDir dir;
  RegisterImage image(dir, rp1::kWindowBytes);
  Rpi5Backend backend(image.map());
  const std::vector<PinSpec> pins{{"gpio4", false}, {"gpio27", true}};
  ASSERT_TRUE(backend.configure(pins).ok());
  MmioRegion view = image.map();
  auto changed = image.changed(view);
  const std::size_t rio = rp1::kSysRio0;
  EXPECT_EQ(changed[rio + rp1::kAliasSet + rp1::kRioOe], (1u << 4) | (1u << 27));
  EXPECT_EQ(changed[rio + rp1::kAliasClr + rp1::kRioOut], 1u << 4);
  EXPECT_EQ(changed[rio + rp1::kAliasSet + rp1::kRioOut], 1u << 27);  // inverted: logical 0 is high
  for (std::size_t n : {4u, 27u}) {
    EXPECT_EQ(changed[rp1::kIoBank0 + 8 * n + 4], with_field(kPattern, 0, 0x1f, rp1::kFuncselSysRio)) << n;
    const uint32_t pad = (kPattern & ~rp1::kPadOutputDisable) | rp1::kPadInputEnable;
    if (pad != kPattern) {
      EXPECT_EQ(changed[rp1::kPadsBank0 + 4 + 4 * n], pad) << n;
    }
  }
  // Nothing else: no plain RIO register, no other pin's CTRL or pad, no STATUS word.
  std::size_t expected = 3 + 2;
  if (((kPattern & ~rp1::kPadOutputDisable) | rp1::kPadInputEnable) != kPattern) expected += 2;
  EXPECT_EQ(changed.size(), expected);
}

TEST(Rpi5Backend, WritesGoThroughTheSetAndClearAliasesOnly) {
  TempDir dir;
  RegisterImage image(dir, rp1::kWindowBytes);
  Rpi5Backend backend(image.map());
  const std::vector<PinSpec> pins{{"gpio4", false}, {"gpio27", true}, {"gpio12", false}};
  ASSERT_TRUE(backend.configure(pins).ok());
  MmioRegion view = image.map();
  const std::size_t set = rp1::kSysRio0 + rp1::kAliasSet + rp1::kRioOut;
  const std::size_t clr = rp1::kSysRio0 + rp1::kAliasClr + rp1::kRioOut;
  image.restore(view, set);
  image.restore(view, clr);
  const auto before = image.changed(view);
  backend.write(0b011, 0, 0, 0);  // gpio4 high; gpio27 logical high = physically low
  auto after = image.changed(view);
  EXPECT_EQ(after[set], 1u << 4);
  EXPECT_EQ(after[clr], 1u << 27);
  EXPECT_EQ(after.size(), before.size() + 2);
  EXPECT_EQ(*view.reg(rp1::kSysRio0 + rp1::kRioOut), kPattern) << "the plain OUT register must never be written";
}

TEST(Rpi5Backend, DestructionLeavesEveryPinAtItsSafeLevel) {
  TempDir dir;
  RegisterImage image(dir, rp1::kWindowBytes);
  MmioRegion view = image.map();
  const std::size_t set = rp1::kSysRio0 + rp1::kAliasSet + rp1::kRioOut;
  const std::size_t clr = rp1::kSysRio0 + rp1::kAliasClr + rp1::kRioOut;
  {
    Rpi5Backend backend(image.map());
    const std::vector<PinSpec> pins{{"gpio4", false}, {"gpio27", true}};
    ASSERT_TRUE(backend.configure(pins).ok());
    backend.write(0b11, 0, 0, 0);  // step high, enable (inverted) active
    image.restore(view, set);
    image.restore(view, clr);
  }
  EXPECT_EQ(*view.reg(clr), 1u << 4);   // gpio4 low
  EXPECT_EQ(*view.reg(set), 1u << 27);  // gpio27 inverted: logical 0 is high (released)
}

TEST(Rpi5Backend, OnlyBankZeroPins) {
  TempDir dir;
  RegisterImage image(dir, rp1::kWindowBytes);
  Rpi5Backend backend(image.map());
  const std::vector<PinSpec> pins{{"gpio28", false}};
  EXPECT_EQ(backend.configure(pins).error().message, "pin \"gpio28\": the rpi5 backend has GPIO 0 to 27");
}

TEST(MmioRegion, ErrorsSayWhatToDo) {
  auto missing = MmioRegion::map("/nonexistent/gpiomem0", 4096);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "/nonexistent/gpiomem0 does not exist: is this the right board, and is the GPIO driver loaded?");
  TempDir dir;
  RegisterImage image(dir, 4096);
  auto small = MmioRegion::map((dir / "regs").string(), rp1::kWindowBytes);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.error().message.find("4096 bytes, the register window needs 196608"), std::string::npos);
}

void write_property(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(Board, RaspberryPi5FromTheDeviceTree) {
  TempDir root;
  write_property(root / "proc/device-tree/compatible", std::string("raspberrypi,5-model-b\0brcm,bcm2712\0", 35));
  write_property(root / "proc/device-tree/model", std::string("Raspberry Pi 5 Model B Rev 1.0\0", 31));
  const BoardInfo board = detect_board(root.path().string());
  EXPECT_EQ(board.board, Board::kRaspberryPi5);
  EXPECT_EQ(board.model, "Raspberry Pi 5 Model B Rev 1.0");
  const BackendChoice choice = choose_backend(root.path().string());
  EXPECT_EQ(choice.kind, BackendKind::kRpi5);
  EXPECT_EQ(choice.reason, "Raspberry Pi 5 Model B Rev 1.0: RP1 registers through /dev/gpiomem0");
}

TEST(Board, RaspberryPi4FromTheDeviceTree) {
  TempDir root;
  write_property(root / "proc/device-tree/compatible", std::string("raspberrypi,4-model-b\0brcm,bcm2711\0", 35));
  write_property(root / "proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.5");
  EXPECT_EQ(detect_board(root.path().string()).board, Board::kRaspberryPi4);
  EXPECT_EQ(choose_backend(root.path().string()).kind, BackendKind::kRpi4);
}

TEST(Board, OtherMachinesUseGpiodWhenAChipExistsElseSim) {
  TempDir root;
  EXPECT_EQ(detect_board(root.path().string()).board, Board::kUnknown);
  EXPECT_EQ(choose_backend(root.path().string()).kind, BackendKind::kSim);
  write_property(root / "dev/gpiochip0", "");
  const BackendChoice choice = choose_backend(root.path().string());
  EXPECT_EQ(choice.kind, BackendKind::kGpiod);
  EXPECT_EQ(choice.reason, "no known board: a GPIO character device is present, using libgpiod");
}

TEST(BackendKind, NamesRoundTripAndUnknownIsAnError) {
  for (BackendKind kind : {BackendKind::kSim, BackendKind::kGpiod, BackendKind::kRpi4, BackendKind::kRpi5}) {
    EXPECT_EQ(*parse_backend_kind(backend_name(kind)), kind);
  }
  EXPECT_EQ(parse_backend_kind("pigpio").error().message,
            "unknown GPIO backend \"pigpio\" (choose sim, gpiod, rpi4, rpi5 or auto)");
}

TEST(GpiodBackend, MissingChipSaysHowToFindOne) {
  GpiodBackend backend;
  const std::vector<PinSpec> pins{{"gpiochip99/gpio3", false}};
  const Status st = backend.configure(pins);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.rfind("GPIO chip gpiochip99 not found: list the chips with `gpiodetect`", 0), 0u)
      << st.error().message;
}

// Drives lines of a simulated chip (the kernel's gpio-sim or gpio-mockup), never a real board's pins.
TEST(GpiodBackend, TogglesLinesOfASimulatedChip) {
  std::string chip;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/bus/gpio/devices", ec)) {
    std::ifstream label(entry.path() / "label");
    std::string text;
    std::getline(label, text);
    if (text.rfind("gpio-sim", 0) == 0 || text.rfind("gpio-mockup", 0) == 0) chip = entry.path().filename().string();
  }
  if (chip.empty()) {
    GTEST_SKIP() << "no simulated GPIO chip (gpio-sim or gpio-mockup kernel module) on this machine; real chips are "
                    "never driven by tests";
  }
  GpiodBackend backend;
  const std::vector<PinSpec> pins{{chip + "/gpio0", false}, {chip + "/gpio1", true}};
  ASSERT_TRUE(backend.configure(pins).ok());
  backend.write(0b11, 0, 0, 0);
  backend.write(0, 0b11, 0, 0);
  EXPECT_EQ(backend.io_errors(), 0u);
}

}  // namespace
}  // namespace rtstep::gpio
