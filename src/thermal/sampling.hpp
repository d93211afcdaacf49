#pragma once
// Sensor sampling at Klipper's cadence. An ADC sensor reports every report_time (0.3 s) the mean of
// sample_count (8) samples taken sample_time (1 ms) apart; the report is stamped at the burst start +
// sample_count * sample_time, as Klipper stamps it. temperature_host reports one reading a second.
// Values are ADC fractions (0..1 of the reference) for ADC sensors and C for temperature_host.
//
// SampleSource is where a sample comes from (IIO file, thermal_zone file, sim plant); Oversampler is the
// pure timing; SensorPoller combines them for a set of sensors and hands out Readings for
// ThermalSystem::update. Owner thread; non-real-time (sources read files).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "util/result.hpp"

namespace rtstep::thermal {

struct Reading {
  uint32_t sensor = 0;  // ThermalSystem sensor index: heaters first, then [temperature_sensor]s
  int64_t time_ns = 0;  // when the value was measured (CLOCK_MONOTONIC or virtual)
  double value = 0;     // ADC fraction, or C for temperature_host
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  // One sample at `now_ns`. Errors name the pin and the path.
  virtual Result<double> read(int64_t now_ns) = 0;
};

// Burst timing of one sensor. The first burst starts at `start_ns`.
class Oversampler {
 public:
  Oversampler(int64_t start_ns, int64_t report_ns, int64_t sample_ns, int count)
      : next_ns_(start_ns), report_ns_(report_ns), sample_ns_(sample_ns), count_(count), burst_ns_(start_ns) {}
  // True when the next sample of the current burst is due at `now_ns`.
  bool due(int64_t now_ns) const noexcept { return now_ns >= next_ns_; }
  // Adds the sample due now; returns the report when it completes a burst.
  std::optional<Reading> add(double value);
  int64_t next_sample_ns() const noexcept { return next_ns_; }
  // A caller that fell more than one report period behind restarts the burst at `now_ns` instead of
  // reading a backlog of samples in one go.
  void catch_up(int64_t now_ns) noexcept;

 private:
  int64_t next_ns_, report_ns_, sample_ns_;
  int count_;
  int64_t burst_ns_;
  int taken_ = 0;
  double sum_ = 0;
};

class SensorPoller {
 public:
  // `source` may be nullptr: that sensor is never polled.
  void add(uint32_t sensor, std::unique_ptr<SampleSource> source, Oversampler timing);
  // Takes every sample due at `now_ns` and appends completed reports to `out`. The first read error stops
  // the poll and is returned (the caller shuts the machine down with it).
  Status poll(int64_t now_ns, std::vector<Reading>& out);

 private:
  struct Entry {
    uint32_t sensor;
    std::unique_ptr<SampleSource> source;
    Oversampler timing;
  };
  std::vector<Entry> entries_;
};

}  // namespace rtstep::thermal
