// IIO ADC source (see iio_adc.hpp).

#include "thermal/iio_adc.hpp"

#include <cstdlib>
#include <regex>

namespace rtstep::thermal {

namespace {

std::optional<double> parse_number(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) return std::nullopt;
  while (*end == '\n' || *end == ' ' || *end == '\r') ++end;
  if (*end != '\0') return std::nullopt;
  return v;
}

// The scale in mV per LSB from the channel's own file or the shared one; nullopt when neither exists.
Result<std::optional<double>> read_scale(const std::string& what, const std::string& dir, int channel) {
  for (const std::string& name : {"in_voltage" + std::to_string(channel) + "_scale", std::string("in_voltage_scale")}) {
    const std::string path = dir + "/" + name;
    if (!sysfs::exists(path)) continue;
    auto file = sysfs::open_read(what, path);
    if (!file) return file.error();
    auto text = sysfs::read_all(what, path, file.value());
    if (!text) return text.error();
    const auto v = parse_number(text.value());
    if (!v || *v <= 0) return Error{what + ": " + path + " holds \"" + text.value() + "\", not a scale > 0"};
    return std::optional<double>(*v);
  }
  return std::optional<double>();
}

}  // namespace

std::optional<IioChannel> parse_iio_pin(const std::string& pin) {
  static const std::regex analog("analog([0-9]{1,3})");
  static const std::regex iio("iio:device([0-9]{1,3})/in_voltage([0-9]{1,3})(_raw)?");
  std::smatch m;
  if (std::regex_match(pin, m, analog)) return IioChannel{0, std::stoi(m[1])};
  if (std::regex_match(pin, m, iio)) return IioChannel{std::stoi(m[1]), std::stoi(m[2])};
  return std::nullopt;
}

Result<IioAdcSource> IioAdcSource::open(const std::string& root, const std::string& pin, IioOptions options) {
  const std::string what = "sensor_pin " + pin;
  const auto channel = parse_iio_pin(pin);
  if (!channel) return Error{what + ": not an IIO ADC pin (expected analogN or iio:deviceN/in_voltageM)"};
  const std::string dir = root + "/sys/bus/iio/devices/iio:device" + std::to_string(channel->device);
  if (!sysfs::is_dir(dir)) {
    return Error{what + ": no IIO device at " + dir +
                 " (is the ADC connected and its kernel driver loaded, e.g. dtoverlay=ads1115 or mcp3008?)"};
  }
  IioAdcSource source;
  source.what_ = what;
  source.options_ = options;
  source.raw_path_ = dir + "/in_voltage" + std::to_string(channel->channel) + "_raw";
  if (!sysfs::exists(source.raw_path_)) {
    return Error{what + ": the IIO device has no channel " + std::to_string(channel->channel) + " (" +
                 source.raw_path_ + " is missing)"};
  }
  auto raw = sysfs::open_read(what, source.raw_path_);
  if (!raw) return raw.error();
  source.raw_ = std::move(raw).value();
  auto scale = read_scale(what, dir, channel->channel);
  if (!scale) return scale.error();
  source.scale_mv_ = scale.value();
  // Read once now, so an unreadable channel fails at startup rather than at the first report.
  auto first = source.read(0);
  if (!first) return first.error();
  return source;
}

Result<double> IioAdcSource::read(int64_t /*now_ns*/) {
  auto text = sysfs::read_all(what_, raw_path_, raw_);
  if (!text) return text.error();
  const auto raw = parse_number(text.value());
  if (!raw) return Error{what_ + ": " + raw_path_ + " holds \"" + text.value() + "\", not a number"};
  if (scale_mv_) return *raw * *scale_mv_ / (options_.reference_voltage * 1000.0);
  return *raw / options_.adc_max;
}

}  // namespace rtstep::thermal
