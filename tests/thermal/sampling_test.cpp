// Klipper's report cadence, and the Linux backend end to end on the fixture tree.

#include "thermal/sampling.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "thermal_test_util.hpp"

namespace rtstep::thermal::testing {
namespace {

// A source that returns 0.1, 0.2, 0.3, ... and remembers when it was read.
class CountingSource final : public SampleSource {
 public:
  explicit CountingSource(std::vector<int64_t>* times) : times_(times) {}
  Result<double> read(int64_t now_ns) override {
    times_->push_back(now_ns);
    return 0.1 * static_cast<double>(times_->size());
  }

 private:
  std::vector<int64_t>* times_;
};

TEST(Oversampler, EightSamplesOneMillisecondApartEveryReport) {
  std::vector<int64_t> times;
  SensorPoller poller;
  poller.add(3, std::make_unique<CountingSource>(&times), Oversampler(0, 300 * kMs, kMs, 8));
  std::vector<Reading> out;
  for (int64_t now = 0; now < 700 * kMs; now += kMs) ASSERT_TRUE(poller.poll(now, out).ok());
  ASSERT_EQ(out.size(), 3u);  // bursts at 0, 300 and 600 ms
  EXPECT_EQ(out[0].sensor, 3u);
  EXPECT_EQ(out[0].time_ns, 8 * kMs);  // stamped at burst start + 8 * 1 ms, as Klipper
  EXPECT_EQ(out[1].time_ns, 308 * kMs);
  EXPECT_NEAR(out[0].value, 0.45, 1e-12);  // mean of 0.1..0.8
  ASSERT_EQ(times.size(), 24u);
  EXPECT_EQ(times[0], 0);
  EXPECT_EQ(times[7], 7 * kMs);
  EXPECT_EQ(times[8], 300 * kMs);
}

TEST(Oversampler, CoarseTicksTakeTheBurstAtOnceAndKeepTheCadence) {
  std::vector<int64_t> times;
  SensorPoller poller;
  poller.add(0, std::make_unique<CountingSource>(&times), Oversampler(0, 300 * kMs, kMs, 8));
  std::vector<Reading> out;
  for (int64_t now = 0; now < 1000 * kMs; now += 50 * kMs) ASSERT_TRUE(poller.poll(now, out).ok());
  ASSERT_EQ(out.size(), 4u);  // 0, 300, 600, 900 ms
  EXPECT_EQ(out[3].time_ns, 908 * kMs);
}

TEST(Oversampler, AFarBehindCallerRestartsInsteadOfCatchingUp) {
  std::vector<int64_t> times;
  SensorPoller poller;
  poller.add(0, std::make_unique<CountingSource>(&times), Oversampler(0, 300 * kMs, kMs, 8));
  std::vector<Reading> out;
  ASSERT_TRUE(poller.poll(0, out).ok());
  ASSERT_TRUE(poller.poll(10 * kS, out).ok());
  EXPECT_LE(times.size(), 16u);  // not 33 bursts of backlog
}

TEST(SensorPoller, AReadErrorStopsThePollWithTheSourcesMessage) {
  class Failing final : public SampleSource {
   public:
    Result<double> read(int64_t) override { return Error{"sensor_pin analog0: cannot read /x: Input/output error"}; }
  };
  SensorPoller poller;
  poller.add(0, std::make_unique<Failing>(), Oversampler(0, 300 * kMs, kMs, 8));
  std::vector<Reading> out;
  const Status s = poller.poll(0, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "sensor_pin analog0: cannot read /x: Input/output error");
  EXPECT_TRUE(out.empty());
}

TEST(LinuxBackend, ReadsIioAndHostTemperatureThroughTheSystem) {
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  const Thermistor t(*builtin_thermistor("EPCOS 100K B57560G104F"), 4700, 0);
  const long raw = std::lround(t.calc_adc(180.0) * 3300.0 / 0.125);
  dir.write("sys/bus/iio/devices/iio:device0/in_voltage1_raw", std::to_string(raw) + "\n");
  const ThermalConfig config = load_ok(replace_once(kBaseConfig, "sensor_pin: PC5", "sensor_pin: analog1") +
                                       "[temperature_sensor host]\nsensor_type: temperature_host\n");
  // The bed still has an MCU pin: the Linux backend refuses it, naming the section.
  SourceOptions options;
  options.backend = SensorBackend::linux_iio;
  options.root = root;
  auto refused = make_poller(config, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, ::testing::HasSubstr("[heater_bed] sensor_pin PC4: not a Linux IIO channel"));

  const ThermalConfig iio_only =
      load_ok(replace_once(replace_once(kBaseConfig, "sensor_pin: PC5", "sensor_pin: analog1"), "sensor_pin: PC4",
                           "sensor_pin: iio:device0/in_voltage1") +
              "[temperature_sensor host]\nsensor_type: temperature_host\n");
  auto poller = make_poller(iio_only, options);
  ASSERT_TRUE(poller.ok()) << poller.error().message;
  auto system = ThermalSystem::create(iio_only);
  ASSERT_TRUE(system.ok());
  std::vector<Reading> readings;
  for (int64_t now = 0; now <= 3 * kS; now += 10 * kMs) {
    readings.clear();
    ASSERT_TRUE(poller->poll(now, readings).ok());
    (void)system->update(now, readings);
  }
  EXPECT_NEAR(system->heater(0).last_temp(), 180.0, 0.1);
  EXPECT_EQ(system->sensor_status(0).temperature, 48.31);
  // Both heaters read the same channel here; the bed (max 130 C) is out of range: "ADC out of range".
  ASSERT_TRUE(system->shutdown_info());
  EXPECT_EQ(system->shutdown_info()->reason, "ADC out of range");
  EXPECT_THAT(system->shutdown_info()->message, ::testing::HasSubstr("Sensor 'heater_bed'"));
}

TEST(LinuxBackend, MissingIioDeviceNamesTheSection) {
  TempDir empty;
  SourceOptions options;
  options.backend = SensorBackend::linux_iio;
  options.root = empty.path();
  auto poller = make_poller(load_ok(replace_once(kBaseConfig, "sensor_pin: PC5", "sensor_pin: analog2")), options);
  ASSERT_FALSE(poller.ok());
  EXPECT_THAT(poller.error().message, ::testing::StartsWith("[extruder] sensor_pin analog2: no IIO device at "));
}

}  // namespace
}  // namespace rtstep::thermal::testing
