#pragma once
// gpio hardware: pin addresses, board detection and the backends that drive real pins.
//
// - Pin names as printer.cfg writes them: `gpio17` (line 17 of the default chip), `gpiochip0/gpio17`
//   (an explicit chip), or a line name from the device tree (`GPIO17`, `ID_SDA`); modifiers (`!`, `^`) are
//   taken off by the config reader before a name gets here.
// - Register (MMIO) backends for the lowest write latency: Raspberry Pi 4 (BCM2711 GPIO block through
//   /dev/gpiomem) and Raspberry Pi 5 (RP1 IO_BANK0 / SYS_RIO0 / PADS_BANK0 through /dev/gpiomem0). Both
//   take the register window as an MmioRegion, so tests run them against a file standing in for the device.
// - The gpiod backend: the Linux GPIO character device through libgpiod (any board the kernel supports).
// - detect_board() reads <root>/proc/device-tree/compatible and model, and choose_backend() turns that
//   into the backend `--backend auto` uses, with the reason.
//
// configure() and the constructors are init only; Backend::write of every backend here is real-time safe
// (register backends: plain stores, never a read of a device register; gpiod: one ioctl).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gpio/gpio.hpp"
#include "util/result.hpp"

namespace rtstep::gpio {

// Where a configured pin lives.
struct PinAddress {
  std::string chip;       // "gpiochip0", or empty for the backend's default chip
  int line = -1;          // line offset on the chip, or -1 when given by name
  std::string line_name;  // device-tree line name when `line` is -1
};

// Parses `gpio17`, `gpiochip0/gpio17`, `gpiochip4/GPIO17` or a line name. Errors say what is wrong
// ("pin \"gpio\": no line number after \"gpio\""); the caller adds the config section and key.
Result<PinAddress> parse_pin_address(std::string_view name);

// A mapping of a register window: the device (/dev/gpiomem, /dev/gpiomem0) or, in tests, a plain file of
// the same size. Owns the mapping. Init only.
class MmioRegion {
 public:
  static Result<MmioRegion> map(const std::string& path, std::size_t bytes);
  MmioRegion(MmioRegion&& other) noexcept;
  MmioRegion& operator=(MmioRegion&& other) noexcept;
  MmioRegion(const MmioRegion&) = delete;
  MmioRegion& operator=(const MmioRegion&) = delete;
  ~MmioRegion();

  // The 32-bit register at byte `offset` (offset < size(), 4-aligned).
  volatile uint32_t* reg(std::size_t offset) const noexcept;
  std::size_t size() const noexcept { return bytes_; }
  const std::string& path() const noexcept { return path_; }

 private:
  MmioRegion(std::string path, void* base, std::size_t bytes) noexcept;
  std::string path_;
  void* base_ = nullptr;
  std::size_t bytes_ = 0;
};

// Raspberry Pi 4 (BCM2711). Register offsets from the base of the GPIO block (BCM2711 ARM Peripherals,
// "General Purpose I/O (GPIO)" chapter; /dev/gpiomem maps that block at offset 0).
namespace bcm2711 {
inline constexpr std::size_t kBlockBytes = 0x1000;  // what /dev/gpiomem maps
inline constexpr std::size_t kGpfsel0 = 0x00;       // 3 bits per pin, 10 pins per register; 001 = output
inline constexpr std::size_t kGpset0 = 0x1c;        // write 1 to drive high (pins 0-31); GPSET1 at +4
inline constexpr std::size_t kGpclr0 = 0x28;        // write 1 to drive low (pins 0-31); GPCLR1 at +4
inline constexpr std::size_t kGplev0 = 0x34;        // pin levels (pins 0-31); GPLEV1 at +4
// GPIO_PUP_PDN_CNTRL_REG0..3: 2 bits per pin, 16 pins per register; 00 none, 01 pull-up, 10 pull-down
// (BCM2711 replaces the BCM2835's GPPUD/GPPUDCLK sequence with these).
inline constexpr std::size_t kPullCntrl0 = 0xe4;
inline constexpr uint32_t kPullNone = 0, kPullUp = 1, kPullDown = 2;
inline constexpr int kPinCount = 58;
}  // namespace bcm2711

class Rpi4Backend final : public Backend {
 public:
  explicit Rpi4Backend(MmioRegion region) noexcept : region_(std::move(region)) {}
  // Leaves every configured pin at its safe level (logical 0: step low, enable released).
  ~Rpi4Backend() override { write(0, configured_, 0, 0); }
  // Pins: gpioN or GPION with N < 58. Sets each to output (GPFSEL read-modify-write, init only) and drives
  // it to its logical 0.
  Status configure(std::span<const PinSpec> pins) override;
  void write(PinMask high, PinMask low, int64_t scheduled_ns, int64_t issued_ns) noexcept override;
  std::string_view name() const noexcept override { return "rpi4"; }
  // Inputs: gpioN / GPION < 58, not an output. GPFSEL 000 (input) and the pull in GPIO_PUP_PDN_CNTRL.
  Status configure_inputs(std::span<const InputSpec> inputs) override;
  // One or two loads of GPLEV (the GPIO block is on the SoC's own bus: a fast read).
  InputMask read_inputs() noexcept override;

 private:
  MmioRegion region_;
  std::vector<uint8_t> gpio_;  // logical pin index -> BCM GPIO number
  PinMask inverted_ = 0;
  PinMask configured_ = 0;
  std::vector<uint8_t> input_gpio_;  // input index -> BCM GPIO number
  InputMask input_inverted_ = 0;
};

// Raspberry Pi 5 (RP1 behind PCIe). Offsets inside the /dev/gpiomem0 window, which starts at IO_BANK0
// (RP1 0x400d0000). Sources: RP1 peripherals datasheet register map as used by the kernel's pinctrl-rp1
// driver and Raspberry Pi's pinctrl utility; atomic aliases: +0x1000 XOR, +0x2000 SET, +0x3000 CLR.
namespace rp1 {
inline constexpr std::size_t kWindowBytes = 0x30000;
inline constexpr std::size_t kIoBank0 = 0x00000;   // per pin: STATUS at 8n, CTRL at 8n + 4
inline constexpr std::size_t kSysRio0 = 0x10000;   // OUT +0x0, OE +0x4, SYNC_IN +0x8
inline constexpr std::size_t kPadsBank0 = 0x20000; // VOLTAGE_SELECT at 0, pad n at 4 + 4n
inline constexpr std::size_t kAliasXor = 0x1000, kAliasSet = 0x2000, kAliasClr = 0x3000;
inline constexpr std::size_t kRioOut = 0x0, kRioOe = 0x4, kRioSyncIn = 0x8;
inline constexpr uint32_t kCtrlFuncselMask = 0x1f;  // CTRL bits [4:0]
inline constexpr uint32_t kFuncselSysRio = 5;
inline constexpr uint32_t kPadOutputDisable = 1u << 7, kPadInputEnable = 1u << 6;
inline constexpr uint32_t kPadPullUp = 1u << 3, kPadPullDown = 1u << 2;  // PUE, PDE
inline constexpr int kPinCount = 28;  // bank 0: the 40-pin header
}  // namespace rp1

class Rpi5Backend final : public Backend {
 public:
  explicit Rpi5Backend(MmioRegion region) noexcept : region_(std::move(region)) {}
  // Leaves every configured pin at its safe level (logical 0: step low, enable released).
  ~Rpi5Backend() override { write(0, configured_, 0, 0); }
  // Pins: gpioN or GPION with N < 28 (bank 0). Drives the pin low through RIO CLR, enables its output
  // (RIO OE SET), pads: output enabled, input enabled; then selects SYS_RIO in IO_BANK0 CTRL.
  Status configure(std::span<const PinSpec> pins) override;
  // One store to RIO OUT SET and one to RIO OUT CLR; never a read (a PCIe round trip).
  void write(PinMask high, PinMask low, int64_t scheduled_ns, int64_t issued_ns) noexcept override;
  std::string_view name() const noexcept override { return "rpi5"; }
  // Inputs: gpioN / GPION < 28, not an output. RIO output disabled (OE CLR), pad: output disabled, input
  // enabled, pull-up/down per spec; then FUNCSEL = SYS_RIO.
  Status configure_inputs(std::span<const InputSpec> inputs) override;
  // One load of RIO SYNC_IN. This is a PCIe read (about a microsecond): the executor samples inputs only
  // while homing, once per step of the homing move.
  InputMask read_inputs() noexcept override;

 private:
  MmioRegion region_;
  std::vector<uint8_t> gpio_;  // logical pin index -> RP1 bank-0 GPIO number
  PinMask inverted_ = 0;
  PinMask configured_ = 0;
  std::vector<uint8_t> input_gpio_;  // input index -> RP1 bank-0 GPIO number
  InputMask input_inverted_ = 0;
};

// The Linux GPIO character device through libgpiod. Lines are requested once, as a bulk per chip, and
// every write sets all of a chip's lines in one call.
class GpiodBackend final : public Backend {
 public:
  // `default_chip`: the chip for names without one ("gpiochip0"); `consumer`: the label the kernel shows.
  explicit GpiodBackend(std::string default_chip = "gpiochip0", std::string consumer = "rtstep");
  ~GpiodBackend() override;  // drives every line to its safe level (logical 0), then releases it
  Status configure(std::span<const PinSpec> pins) override;
  void write(PinMask high, PinMask low, int64_t scheduled_ns, int64_t issued_ns) noexcept override;
  std::string_view name() const noexcept override { return "gpiod"; }
  // Inputs: requested once per chip as inputs with the bias ('^' pull-up, '~' pull-down; the kernel refuses
  // a bias on chips without one). Inversion is applied here.
  Status configure_inputs(std::span<const InputSpec> inputs) override;
  // One ioctl per chip with inputs; a refused read counts in io_errors() and reads triggered.
  InputMask read_inputs() noexcept override;
  // Calls to the kernel that failed in write() or read_inputs(); the executor stops on a new one.
  uint64_t io_errors() const noexcept override { return io_errors_.load(std::memory_order_relaxed); }

  struct Chip;  // one requested bulk of lines (gpiod_backend.cpp; the libgpiod calls: gpiod_lines.hpp)
  struct InputChip;

 private:
  std::string default_chip_;
  std::string consumer_;
  std::vector<std::unique_ptr<Chip>> chips_;
  std::vector<std::unique_ptr<InputChip>> input_chips_;
  std::vector<std::string> output_names_;  // to refuse an input that is also an output
  InputMask input_inverted_ = 0;
  PinMask configured_ = 0;
  std::atomic<uint64_t> io_errors_{0};
};

enum class Board : uint8_t { kUnknown, kRaspberryPi4, kRaspberryPi5, kOtherArm };
struct BoardInfo {
  Board board = Board::kUnknown;
  std::string model;       // /proc/device-tree/model, without the trailing NUL
  std::string compatible;  // the compatible strings, comma-joined as read ("raspberrypi,5-model-b brcm,bcm2712")
};
// Reads <root>/proc/device-tree/{compatible,model}; a machine without a device tree is kUnknown.
BoardInfo detect_board(const std::string& root = "/");

enum class BackendKind : uint8_t { kSim, kGpiod, kRpi4, kRpi5 };
const char* backend_name(BackendKind kind) noexcept;
Result<BackendKind> parse_backend_kind(std::string_view name);  // "sim", "gpiod", "rpi4", "rpi5"
struct BackendChoice {
  BackendKind kind = BackendKind::kSim;
  std::string reason;  // "Raspberry Pi 5 (raspberrypi,5-model-b): RP1 registers through /dev/gpiomem0"
};
// What `--backend auto` picks: rpi5 or rpi4 from the board, else gpiod when <root>/dev has a gpiochip,
// else sim.
BackendChoice choose_backend(const std::string& root = "/");

// Whether a hardware backend of `kind` can drive the pin `name` (without opening anything): the register
// backends need gpioN / GPION within the board's bank ("gpio99: the Raspberry Pi 5 has GPIO 0-27"), gpiod
// needs a valid address (gpioN, gpiochipM/gpioN or a line name); sim takes any label. Init only.
Status check_pin_name(BackendKind kind, const std::string& name);

// Opens the backend of `kind` on this machine (/dev/gpiomem, /dev/gpiomem0, the gpiod chip); errors say
// what to do (group gpio, udev rule, run as root). kSim gives a SimBackend. Init only.
Result<std::unique_ptr<Backend>> open_backend(BackendKind kind);

// The cost of Backend::write on this machine, for `rtstep bench gpio`: `writes` writes toggling the first
// `pins` configured pins (alternately all high, all low), timed in batches of 1000 with CLOCK_MONOTONIC.
struct WriteCost {
  uint64_t writes = 0;
  double median_ns = 0;  // per write, median over batches
  double p99_ns = 0;     // per write, 99th percentile over batches
  double min_ns = 0, max_ns = 0;
};
WriteCost measure_write_cost(Backend& backend, std::size_t pins, uint64_t writes);

}  // namespace rtstep::gpio
