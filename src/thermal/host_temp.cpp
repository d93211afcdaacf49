// temperature_host source (see host_temp.hpp).

#include "thermal/host_temp.hpp"

#include <cstdlib>

namespace rtstep::thermal {

Result<HostTempSource> HostTempSource::open(const std::string& root, const std::string& sensor_path) {
  HostTempSource source;
  source.path_ = root + sensor_path;
  auto file = sysfs::open_read("temperature_host", source.path_);
  if (!file) return Error{"Unable to open temperature file '" + source.path_ + "': " + file.error().message};
  source.file_ = std::move(file).value();
  auto first = source.read(0);
  if (!first) return first.error();
  return source;
}

Result<double> HostTempSource::read(int64_t /*now_ns*/) {
  auto text = sysfs::read_all("temperature_host", path_, file_);
  if (!text) return text.error();
  char* end = nullptr;
  const double milli = std::strtod(text.value().c_str(), &end);
  if (end == text.value().c_str()) {
    return Error{"temperature_host: " + path_ + " holds \"" + text.value() + "\", not millidegrees"};
  }
  return milli / 1000.0;
}

}  // namespace rtstep::thermal
