#pragma once
// ADC input through the Linux IIO subsystem, as the kernel's ADS1115 (ti-ads1015) and MCP3008 (mcp320x)
// drivers present it: <root>/sys/bus/iio/devices/iio:deviceN/in_voltageM_raw, with the scale (mV per LSB)
// in in_voltageM_scale or the shared in_voltage_scale.
// Pin names: "analogM" (Klipper's Linux MCU name: device 0, channel M) or "iio:deviceN/in_voltageM".
// A reading becomes the ADC fraction the thermistor maths expects: raw * scale / (reference voltage in mV)
// when a scale file exists (the divider's supply is the reference, default 3.3 V), else raw / adc_max
// (Klipper's Linux MCU assumes a 12-bit ADC: 4095).
// `root` is "" on a machine and a fixture tree in tests. Open at init; read on the owner thread;
// non-real-time.

#include <cstdint>
#include <optional>
#include <string>

#include "thermal/sampling.hpp"
#include "thermal/sysfs_file.hpp"

namespace rtstep::thermal {

struct IioChannel {
  int device = 0;
  int channel = 0;
};

// nullopt: not an IIO pin name.
std::optional<IioChannel> parse_iio_pin(const std::string& pin);

struct IioOptions {
  double reference_voltage = 3.3;  // V across the divider (the pull-up's supply)
  double adc_max = 4095;           // full scale of a raw value without a scale file
};

class IioAdcSource final : public SampleSource {
 public:
  // Opens the channel. Errors name the pin and the path: a missing device (no driver or overlay), a missing
  // channel, a file that cannot be read (permission).
  static Result<IioAdcSource> open(const std::string& root, const std::string& pin, IioOptions options = {});
  Result<double> read(int64_t now_ns) override;
  double scale_mv() const noexcept { return scale_mv_.value_or(0.0); }

 private:
  IioAdcSource() = default;
  std::string what_;  // "sensor_pin analog2"
  std::string raw_path_;
  sysfs::File raw_;
  std::optional<double> scale_mv_;
  IioOptions options_;
};

}  // namespace rtstep::thermal
