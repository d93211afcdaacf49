#pragma once
// temperature_host: the computer's own CPU temperature from <root><sensor_path> (default
// /sys/class/thermal/thermal_zone0/temp, millidegrees C), read once a second (Klipper's HOST_REPORT_TIME).
// `root` is "" on a machine and a fixture tree in tests. Open at init; read on the owner thread;
// non-real-time.

#include <string>

#include "thermal/sampling.hpp"
#include "thermal/sysfs_file.hpp"

namespace rtstep::thermal {

class HostTempSource final : public SampleSource {
 public:
  // Error (Klipper's words first): "Unable to open temperature file '<path>': ..."
  static Result<HostTempSource> open(const std::string& root, const std::string& sensor_path);
  // Degrees C.
  Result<double> read(int64_t now_ns) override;

 private:
  HostTempSource() = default;
  std::string path_;
  sysfs::File file_;
};

}  // namespace rtstep::thermal
