// pwmgen: duty cycles counted on the output over many base periods, PWM with and without dither, PDM,
// the direction outputs of types 1 and 2, scale/offset/limits, and loadrt's errors.
#include <gtest/gtest.h>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

// A 10 us base thread (pwmgen.make-pulses) and a 100 us servo thread (pwmgen.update), types as given.
class Pwmgen : public ::testing::Test {
 protected:
  void load(const std::string& types) {
    ASSERT_TRUE(s_.run("loadrt threads name1=base period1=10000 name2=servo period2=100000\n"
                       "loadrt pwmgen output_type=" + types + "\n"
                       "addf pwmgen.update servo\naddf pwmgen.make-pulses base\n"))
        << s_.err();
  }
  void set(const std::string& name, const std::string& v) { ASSERT_TRUE(hal_.set_pin_or_param(name, v).ok()) << name; }
  bool bit(const std::string& name) { return *hal_.get_pin_or_param(name) == "TRUE"; }
  double getf(const std::string& name) { return std::stod(*hal_.get_pin_or_param(name)); }
  // Base periods (after the first servo period has set the channel up) in which `pin` was high.
  int count_high(const std::string& pin, int base_periods) {
    EXPECT_TRUE(hal_.run_virtual(10).ok());
    int high = 0;
    for (int i = 0; i < base_periods; ++i) {
      EXPECT_TRUE(hal_.run_virtual(1).ok());
      high += bit(pin) ? 1 : 0;
    }
    return high;
  }

  Hal hal_;
  Session s_{hal_};
};

TEST_F(Pwmgen, PwmIsHighForTheQuantizedShareOfEachPeriod) {
  load("0");
  set("pwmgen.0.pwm-freq", "10000");  // 100 us = 10 base periods
  set("pwmgen.0.value", "0.33");
  set("pwmgen.0.enable", "1");
  EXPECT_EQ(count_high("pwmgen.0.pwm", 1000), 300);  // round(3.3) = 3 of every 10
  EXPECT_NEAR(getf("pwmgen.0.curr-dc"), 0.3, 1e-12);
}

TEST_F(Pwmgen, DitherCarriesTheRemainderSoTheAverageIsExact) {
  load("0");
  set("pwmgen.0.pwm-freq", "10000");
  set("pwmgen.0.value", "0.33");
  set("pwmgen.0.dither-pwm", "1");
  set("pwmgen.0.enable", "1");
  const int high = count_high("pwmgen.0.pwm", 10000);  // 1000 PWM periods
  EXPECT_NEAR(high, 3300, 1);
  EXPECT_NEAR(getf("pwmgen.0.curr-dc"), 0.33, 1e-12);
}

TEST_F(Pwmgen, ZeroFrequencyIsPulseDensityModulation) {
  load("0");
  set("pwmgen.0.value", "0.25");
  set("pwmgen.0.enable", "1");
  EXPECT_NEAR(count_high("pwmgen.0.pwm", 4000), 1000, 1);
  // PDM spreads the highs out: never two in a row at 25 %.
  bool previous = false, two_in_a_row = false;
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(hal_.run_virtual(1).ok());
    const bool now = bit("pwmgen.0.pwm");
    two_in_a_row = two_in_a_row || (now && previous);
    previous = now;
  }
  EXPECT_FALSE(two_in_a_row);
}

TEST_F(Pwmgen, ScaleOffsetAndLimitsShapeTheDutyCycle) {
  load("0");
  set("pwmgen.0.pwm-freq", "1000");  // 100 base periods: fine quantization
  set("pwmgen.0.enable", "1");
  set("pwmgen.0.scale", "10");
  set("pwmgen.0.offset", "0.1");
  set("pwmgen.0.value", "5");  // 5/10 + 0.1
  ASSERT_TRUE(hal_.run_virtual(10).ok());
  EXPECT_NEAR(getf("pwmgen.0.curr-dc"), 0.6, 1e-12);
  set("pwmgen.0.max-dc", "0.45");
  ASSERT_TRUE(hal_.run_virtual(10).ok());
  EXPECT_NEAR(getf("pwmgen.0.curr-dc"), 0.45, 1e-12);
  set("pwmgen.0.value", "-5");  // type 0 is one-quadrant: negative becomes 0, then min-dc
  set("pwmgen.0.min-dc", "0.2");
  ASSERT_TRUE(hal_.run_virtual(10).ok());
  EXPECT_NEAR(getf("pwmgen.0.curr-dc"), 0.2, 1e-12);
}

TEST_F(Pwmgen, Type1GivesDirectionAndType2SplitsUpAndDown) {
  load("1,2");
  for (const char* ch : {"0", "1"}) {
    const std::string n = std::string("pwmgen.") + ch;
    set(n + ".pwm-freq", "10000");
    set(n + ".value", "-0.5");
    set(n + ".enable", "1");
  }
  EXPECT_EQ(count_high("pwmgen.0.pwm", 1000), 500);
  EXPECT_TRUE(bit("pwmgen.0.dir"));
  EXPECT_NEAR(getf("pwmgen.0.curr-dc"), -0.5, 1e-12);
  EXPECT_EQ(count_high("pwmgen.1.down", 1000), 500);
  EXPECT_EQ(count_high("pwmgen.1.up", 1000), 0);
  set("pwmgen.1.value", "0.7");
  EXPECT_EQ(count_high("pwmgen.1.up", 1000), 700);
  EXPECT_EQ(count_high("pwmgen.1.down", 1000), 0);
}

TEST_F(Pwmgen, DisabledOutputsStayLow) {
  load("0");
  set("pwmgen.0.pwm-freq", "10000");
  set("pwmgen.0.value", "1");
  EXPECT_EQ(count_high("pwmgen.0.pwm", 100), 0);
  EXPECT_EQ(getf("pwmgen.0.curr-dc"), 0.0);
  set("pwmgen.0.enable", "1");
  EXPECT_EQ(count_high("pwmgen.0.pwm", 100), 100);
}

TEST(PwmgenLoad, RejectsUnknownOutputTypes) {
  Hal hal;
  Session s(hal);
  EXPECT_FALSE(s.run("loadrt pwmgen output_type=0,3\n"));
  EXPECT_NE(s.err().find("pwmgen: output_type=3 (channel 1): expected 0 (pwm), 1 (pwm + dir) or 2 (up/down)"),
            std::string::npos)
      << s.err();
  EXPECT_FALSE(s.run("loadrt pwmgen\n"));
  EXPECT_NE(s.err().find("output_type= is required"), std::string::npos);
  EXPECT_EQ(hal.find_component("pwmgen"), nullptr);
}

}  // namespace
}  // namespace rtstep::hal
