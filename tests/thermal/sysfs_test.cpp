// IIO ADC, thermal_zone and sysfs PWM against the fixture tree tests/thermal/data/sysfs (read in place, or
// copied to a temporary directory when the test writes).
//
// Permission errors: the tests run as root, and root reads and writes any file whatever its mode, so
// chmod cannot produce EACCES here. What is tested instead: (1) a path that is a directory where a file
// is expected, which fails the same open/read/write calls (EISDIR) and goes through the same error path;
// (2) the message built for EACCES, by calling describe_errno with it; (3) a chmod 000 test that runs only
// when not root (skipped as root, and says so).

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "thermal/sysfs_file.hpp"
#include "thermal_test_util.hpp"

namespace rtstep::thermal::testing {
namespace {

using ::testing::HasSubstr;

std::string fixture() { return source_path("data/sysfs"); }

TEST(IioPin, Names) {
  EXPECT_EQ(parse_iio_pin("analog2")->device, 0);
  EXPECT_EQ(parse_iio_pin("analog2")->channel, 2);
  EXPECT_EQ(parse_iio_pin("iio:device1/in_voltage3")->device, 1);
  EXPECT_EQ(parse_iio_pin("iio:device1/in_voltage3")->channel, 3);
  EXPECT_EQ(parse_iio_pin("iio:device1/in_voltage3_raw")->channel, 3);
  EXPECT_FALSE(parse_iio_pin("PA2"));
  EXPECT_FALSE(parse_iio_pin("analog"));
  EXPECT_FALSE(parse_iio_pin("iio:device0/in_voltage"));
}

TEST(IioAdc, ScaledChannelIsAFractionOfTheReference) {
  auto adc = IioAdcSource::open(fixture(), "analog0");
  ASSERT_TRUE(adc.ok()) << adc.error().message;
  EXPECT_DOUBLE_EQ(adc->scale_mv(), 0.125);
  EXPECT_DOUBLE_EQ(adc->read(0).value(), 0.5);  // 13200 * 0.125 mV = 1650 mV of 3300 mV
  auto ch1 = IioAdcSource::open(fixture(), "iio:device0/in_voltage1");
  ASSERT_TRUE(ch1.ok());
  EXPECT_DOUBLE_EQ(ch1->read(0).value(), 0.25);
  auto five_volt = IioAdcSource::open(fixture(), "analog0", IioOptions{5.0, 4095});
  EXPECT_DOUBLE_EQ(five_volt->read(0).value(), 0.33);
}

TEST(IioAdc, UnscaledChannelIsTwelveBits) {
  auto adc = IioAdcSource::open(fixture(), "iio:device1/in_voltage3");
  ASSERT_TRUE(adc.ok()) << adc.error().message;
  EXPECT_DOUBLE_EQ(adc->read(0).value(), 1.0);  // 4095 / 4095
}

TEST(IioAdc, ThermistorRoundTripThroughTheAdcFile) {
  // An ADS1115 behind a 4.7 k pull-up to 3.3 V reading an EPCOS thermistor at 200 C.
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  const Thermistor t(*builtin_thermistor("EPCOS 100K B57560G104F"), 4700, 0);
  for (double temp : {25.0, 100.0, 200.0, 250.0}) {
    const long raw = std::lround(t.calc_adc(temp) * 3300.0 / 0.125);
    dir.write("sys/bus/iio/devices/iio:device0/in_voltage1_raw", std::to_string(raw) + "\n");
    auto adc = IioAdcSource::open(root, "analog1");
    ASSERT_TRUE(adc.ok()) << adc.error().message;
    EXPECT_NEAR(t.calc_temp(adc->read(0).value()), temp, 0.1) << temp;
  }
}

TEST(IioAdc, ReReadsTheFileEachTime) {
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  auto adc = IioAdcSource::open(root, "analog0");
  ASSERT_TRUE(adc.ok());
  dir.write("sys/bus/iio/devices/iio:device0/in_voltage0_raw", "6600\n");
  EXPECT_DOUBLE_EQ(adc->read(0).value(), 0.25);
}

TEST(IioAdc, MissingDeviceNamesPinAndPath) {
  TempDir empty;
  auto adc = IioAdcSource::open(empty.path(), "analog2");
  ASSERT_FALSE(adc.ok());
  EXPECT_THAT(adc.error().message,
              HasSubstr("sensor_pin analog2: no IIO device at " + empty.path() + "/sys/bus/iio/devices/iio:device0"));
  EXPECT_THAT(adc.error().message, HasSubstr("kernel driver"));
  auto dev5 = IioAdcSource::open(fixture(), "iio:device5/in_voltage0");
  ASSERT_FALSE(dev5.ok());
  EXPECT_THAT(dev5.error().message, HasSubstr("iio:device5"));
}

TEST(IioAdc, MissingChannel) {
  auto adc = IioAdcSource::open(fixture(), "analog7");
  ASSERT_FALSE(adc.ok());
  EXPECT_THAT(adc.error().message, HasSubstr("sensor_pin analog7: the IIO device has no channel 7"));
  EXPECT_THAT(adc.error().message, HasSubstr("in_voltage7_raw is missing"));
}

TEST(IioAdc, UnreadableChannelFailsAtOpen) {
  // Simulated unreadable file (see the top of this file): in_voltage2_raw is a directory.
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  std::filesystem::create_directories(root + "/sys/bus/iio/devices/iio:device0/in_voltage2_raw");
  auto adc = IioAdcSource::open(root, "analog2");
  ASSERT_FALSE(adc.ok());
  EXPECT_THAT(adc.error().message, HasSubstr("sensor_pin analog2: cannot read " + root +
                                             "/sys/bus/iio/devices/iio:device0/in_voltage2_raw: Is a directory"));
}

TEST(IioAdc, GarbageIsAnError) {
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  dir.write("sys/bus/iio/devices/iio:device0/in_voltage0_raw", "n/a\n");
  auto adc = IioAdcSource::open(root, "analog0");
  ASSERT_FALSE(adc.ok());
  EXPECT_THAT(adc.error().message, HasSubstr("not a number"));
}

TEST(IioAdc, PermissionDeniedWhenNotRoot) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file modes; EACCES is covered by DescribesPermissionErrors";
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  const std::string raw = root + "/sys/bus/iio/devices/iio:device0/in_voltage0_raw";
  ASSERT_EQ(chmod(raw.c_str(), 0), 0);
  auto adc = IioAdcSource::open(root, "analog0");
  ASSERT_FALSE(adc.ok());
  EXPECT_THAT(adc.error().message, HasSubstr("permission denied"));
}

TEST(Sysfs, DescribesPermissionErrors) {
  const std::string m =
      sysfs::describe_errno("PWM pin pwmchip0/pwm0", "open", "/sys/class/pwm/pwmchip0/export", EACCES);
  EXPECT_THAT(m, HasSubstr("PWM pin pwmchip0/pwm0: cannot open /sys/class/pwm/pwmchip0/export: Permission denied"));
  EXPECT_THAT(m, HasSubstr("udev rule"));
  EXPECT_THAT(sysfs::describe_errno("x", "open", "/p", ENOENT), HasSubstr("kernel driver or overlay"));
}

TEST(HostTemp, ReadsMillidegrees) {
  auto host = HostTempSource::open(fixture(), kHostTempPath);
  ASSERT_TRUE(host.ok()) << host.error().message;
  EXPECT_DOUBLE_EQ(host->read(0).value(), 48.312);
}

TEST(HostTemp, MissingZoneIsKlippersError) {
  TempDir empty;
  auto host = HostTempSource::open(empty.path(), kHostTempPath);
  ASSERT_FALSE(host.ok());
  EXPECT_THAT(host.error().message,
              HasSubstr("Unable to open temperature file '" + empty.path() + "/sys/class/thermal/thermal_zone0/temp'"));
  EXPECT_THAT(host.error().message, HasSubstr("No such file or directory"));
}

TEST(PwmPin, Names) {
  EXPECT_EQ(parse_pwm_pin("pwmchip0/pwm1")->chip, 0);
  EXPECT_EQ(parse_pwm_pin("pwmchip2/pwm1")->channel, 1);
  EXPECT_FALSE(parse_pwm_pin("gpio18"));
  EXPECT_FALSE(parse_pwm_pin("pwmchip0"));
}

TEST(SysfsPwm, ConfiguresSetsAndReleasesTheChannel) {
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  const std::string ch = root + "/sys/class/pwm/pwmchip0/pwm0/";
  {
    auto pwm = SysfsPwm::open(root, "pwmchip0/pwm0", 100'000'000);  // 0.1 s, a heater's pwm_cycle_time
    ASSERT_TRUE(pwm.ok()) << pwm.error().message;
    EXPECT_EQ(read_text(ch + "period"), "100000000");
    EXPECT_EQ(read_text(ch + "duty_cycle"), "0");
    EXPECT_EQ(read_text(ch + "enable"), "1");
    ASSERT_TRUE(pwm->set(0.25).ok());
    EXPECT_EQ(read_text(ch + "duty_cycle"), "25000000");
    ASSERT_TRUE(pwm->set(1.5).ok());  // clamped
    EXPECT_EQ(read_text(ch + "duty_cycle"), "100000000");
    EXPECT_EQ(read_text(root + "/sys/class/pwm/pwmchip0/export"), "");  // already exported: not touched
  }
  // Released: duty 0 and disabled.
  EXPECT_EQ(read_text(ch + "duty_cycle"), "0");
  EXPECT_EQ(read_text(ch + "enable"), "0");
}

TEST(SysfsPwm, MissingChip) {
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  auto pwm = SysfsPwm::open(root, "pwmchip3/pwm0", 10'000'000);
  ASSERT_FALSE(pwm.ok());
  EXPECT_THAT(pwm.error().message,
              HasSubstr("PWM pin pwmchip3/pwm0: no PWM chip at " + root + "/sys/class/pwm/pwmchip3"));
  EXPECT_THAT(pwm.error().message, HasSubstr("dtoverlay=pwm-2chan"));
}

TEST(SysfsPwm, ExportsAMissingChannelAndReportsWhenThatFails) {
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  auto pwm = SysfsPwm::open(root, "pwmchip0/pwm1", 10'000'000);
  ASSERT_FALSE(pwm.ok());
  EXPECT_EQ(read_text(root + "/sys/class/pwm/pwmchip0/export"), "1");  // it asked the kernel
  EXPECT_THAT(pwm.error().message, HasSubstr("pwmchip0/pwm1 is missing after writing 1 to"));
}

TEST(SysfsPwm, UnwritableFileNamesPinAndPath) {
  // Simulated unwritable file (see the top of this file): duty_cycle is a directory.
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  const std::string duty = root + "/sys/class/pwm/pwmchip0/pwm0/duty_cycle";
  std::filesystem::remove(duty);
  std::filesystem::create_directory(duty);
  auto pwm = SysfsPwm::open(root, "pwmchip0/pwm0", 10'000'000);
  ASSERT_FALSE(pwm.ok());
  EXPECT_THAT(pwm.error().message, HasSubstr("PWM pin pwmchip0/pwm0: cannot open " + duty + ": Is a directory"));
}

TEST(SysfsPwm, PermissionDeniedWhenNotRoot) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file modes; EACCES is covered by DescribesPermissionErrors";
  TempDir dir;
  const std::string root = dir.copy_fixture("sysfs");
  const std::string enable = root + "/sys/class/pwm/pwmchip0/pwm0/enable";
  ASSERT_EQ(chmod(enable.c_str(), 0444), 0);
  auto pwm = SysfsPwm::open(root, "pwmchip0/pwm0", 10'000'000);
  ASSERT_FALSE(pwm.ok());
  EXPECT_THAT(pwm.error().message, HasSubstr("permission denied"));
}

}  // namespace
}  // namespace rtstep::thermal::testing
