// Behaviour of the simple components on known inputs, run through virtual thread cycles.
#include <gtest/gtest.h>

#include <cmath>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

// A Hal with one 1 ms thread "t" after running `setup` (halcmd text).
class Components : public ::testing::Test {
 protected:
  void load(const std::string& setup) {
    ASSERT_TRUE(s_.run("loadrt threads name1=t period1=1000000\n" + setup)) << s_.err();
  }
  void cycles(int n) { ASSERT_TRUE(hal_.run_virtual(n).ok()); }
  std::string get(const std::string& name) { return *hal_.get_pin_or_param(name); }
  double getf(const std::string& name) { return std::stod(get(name)); }
  void set(const std::string& name, const std::string& v) { ASSERT_TRUE(hal_.set_pin_or_param(name, v).ok()) << name; }

  Hal hal_;
  Session s_{hal_};
};

TEST_F(Components, LogicGatesFollowTheirTruthTables) {
  load("loadrt and2\nloadrt or2\nloadrt not\naddf and2.0 t\naddf or2.0 t\naddf not.0 t\n");
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      set("and2.0.in0", std::to_string(a));
      set("and2.0.in1", std::to_string(b));
      set("or2.0.in0", std::to_string(a));
      set("or2.0.in1", std::to_string(b));
      set("not.0.in", std::to_string(a));
      cycles(1);
      EXPECT_EQ(get("and2.0.out"), a && b ? "TRUE" : "FALSE");
      EXPECT_EQ(get("or2.0.out"), a || b ? "TRUE" : "FALSE");
      EXPECT_EQ(get("not.0.out"), a ? "FALSE" : "TRUE");
    }
  }
}

TEST_F(Components, Mux2AndScale) {
  load("loadrt mux2\nloadrt scale\naddf mux2.0 t\naddf scale.0 t\n"
       "setp mux2.0.in0 1.5\nsetp mux2.0.in1 -2\nsetp scale.0.in 3\nsetp scale.0.gain 2\nsetp scale.0.offset 0.5\n");
  cycles(1);
  EXPECT_EQ(getf("mux2.0.out"), 1.5);
  EXPECT_EQ(getf("scale.0.out"), 6.5);
  set("mux2.0.sel", "TRUE");
  cycles(1);
  EXPECT_EQ(getf("mux2.0.out"), -2.0);
}

TEST_F(Components, LowpassStepResponseFollowsTheGain) {
  // gain = 1 - exp(-2*pi*f*T): 10 Hz at 1 ms gives 0.0609 (LinuxCNC's documented figure).
  load("loadrt lowpass\naddf lowpass.0 t\nsetp lowpass.0.gain 0.0609\nsetp lowpass.0.in 1\n");
  cycles(1);
  EXPECT_NEAR(getf("lowpass.0.out"), 0.0609, 1e-6);
  cycles(9);
  EXPECT_NEAR(getf("lowpass.0.out"), 1.0 - std::pow(1.0 - 0.0609, 10), 1e-6);
  set("lowpass.0.load", "1");
  cycles(1);
  EXPECT_EQ(getf("lowpass.0.out"), 1.0);
}

TEST_F(Components, EstopLatchStartsFaultedAndNeedsAResetEdge) {
  load("loadrt estop_latch\naddf estop-latch.0 t\n");
  cycles(1);
  EXPECT_EQ(get("estop-latch.0.ok-out"), "FALSE");
  EXPECT_EQ(get("estop-latch.0.fault-out"), "TRUE");
  set("estop-latch.0.reset", "1");  // rising edge with ok-in and no fault: OK
  cycles(1);
  EXPECT_EQ(get("estop-latch.0.ok-out"), "TRUE");
  EXPECT_EQ(get("estop-latch.0.fault-out"), "FALSE");
  const std::string w1 = get("estop-latch.0.watchdog");
  cycles(1);
  EXPECT_NE(get("estop-latch.0.watchdog"), w1) << "the watchdog toggles while OK";
  set("estop-latch.0.fault-in", "1");  // a fault trips at once
  cycles(1);
  EXPECT_EQ(get("estop-latch.0.ok-out"), "FALSE");
  set("estop-latch.0.fault-in", "0");
  cycles(2);
  EXPECT_EQ(get("estop-latch.0.ok-out"), "FALSE") << "reset held high is not an edge";
  set("estop-latch.0.reset", "0");
  cycles(1);
  set("estop-latch.0.ok-in", "0");
  set("estop-latch.0.reset", "1");
  cycles(1);
  EXPECT_EQ(get("estop-latch.0.ok-out"), "FALSE") << "no reset while ok-in is low";
  set("estop-latch.0.reset", "0");
  set("estop-latch.0.ok-in", "1");
  cycles(1);
  set("estop-latch.0.reset", "1");
  cycles(1);
  EXPECT_EQ(get("estop-latch.0.ok-out"), "TRUE");
}

TEST_F(Components, ChargePumpRunsAtHalfTheThreadRate) {
  load("loadrt charge_pump\naddf charge-pump t\n");
  int rising[3] = {0, 0, 0};
  bool last[3] = {false, false, false};
  const char* pins[3] = {"charge-pump.out", "charge-pump.out-2", "charge-pump.out-4"};
  for (int i = 0; i < 1000; ++i) {  // 1 s at 1 ms
    cycles(1);
    for (int k = 0; k < 3; ++k) {
      const bool v = get(pins[k]) == "TRUE";
      if (v && !last[k]) ++rising[k];
      last[k] = v;
    }
  }
  EXPECT_EQ(rising[0], 500);  // f = 1 / (2 T) = 500 Hz
  EXPECT_EQ(rising[1], 250);
  EXPECT_EQ(rising[2], 125);
  set("charge-pump.enable", "0");
  cycles(1);
  EXPECT_EQ(get("charge-pump.out"), "FALSE");
}

TEST_F(Components, SiggenWaveformsAndFrequencyLimit) {
  load("loadrt siggen num_chan=1\naddf siggen.0.update t\nsetp siggen.0.frequency 250\nsetp siggen.0.amplitude 2\n"
       "setp siggen.0.offset 1\n");
  cycles(1);  // phase 0.25
  EXPECT_NEAR(getf("siggen.0.sine"), 3.0, 1e-9);
  EXPECT_NEAR(getf("siggen.0.cosine"), 1.0, 1e-9);
  EXPECT_NEAR(getf("siggen.0.sawtooth"), 0.0, 1e-9);
  EXPECT_NEAR(getf("siggen.0.triangle"), 1.0, 1e-9);  // half-way up the ramp: 0 * 2 + 1
  EXPECT_EQ(getf("siggen.0.square"), -1.0);
  EXPECT_EQ(get("siggen.0.clock"), "FALSE");
  cycles(1);  // phase 0.5
  EXPECT_EQ(getf("siggen.0.square"), 3.0);
  EXPECT_NEAR(getf("siggen.0.triangle"), 3.0, 1e-9);
  set("siggen.0.frequency", "2000");
  cycles(1);
  EXPECT_EQ(getf("siggen.0.frequency"), 500.0) << "limited to half the call rate, written back";
}

TEST_F(Components, ConvertersClampWrapAndFlagOutOfRange) {
  load("loadrt conv_float_s32\nloadrt conv_s32_u32\nloadrt conv_bit_float\nloadrt conv_u32_s32\n"
       "addf conv-float-s32.0 t\naddf conv-s32-u32.0 t\naddf conv-bit-float.0 t\naddf conv-u32-s32.0 t\n"
       "setp conv-float-s32.0.in -2.7\nsetp conv-s32-u32.0.in -1\nsetp conv-bit-float.0.in 1\n"
       "setp conv-u32-s32.0.in 0xFFFFFFFF\n");
  cycles(1);
  EXPECT_EQ(get("conv-float-s32.0.out"), "-2");  // C truncation
  EXPECT_EQ(get("conv-float-s32.0.out-of-range"), "FALSE");
  EXPECT_EQ(get("conv-s32-u32.0.out"), "4294967295");  // wraps without clamp
  EXPECT_EQ(get("conv-s32-u32.0.out-of-range"), "TRUE");
  EXPECT_EQ(get("conv-bit-float.0.out"), "1");
  EXPECT_EQ(get("conv-u32-s32.0.out"), "-1");
  EXPECT_FALSE(hal_.pins().contains("conv-bit-float.0.out-of-range")) << "bit always fits a float";
  set("conv-s32-u32.0.clamp", "1");
  set("conv-float-s32.0.in", "1e10");
  cycles(1);
  EXPECT_EQ(get("conv-s32-u32.0.out"), "0");
  EXPECT_EQ(get("conv-float-s32.0.out"), "2147483647");  // floats saturate
  EXPECT_EQ(get("conv-float-s32.0.out-of-range"), "TRUE");
  s_.clear();
  EXPECT_FALSE(s_.run("loadrt conv_float_float\n"));
  EXPECT_NE(s_.err().find("conv_float_float: unknown component"), std::string::npos) << s_.err();
  EXPECT_NE(s_.err().find("test.hal:1: insmod for conv_float_float failed, returned -1\n"), std::string::npos) << s_.err();
}

TEST_F(Components, TimedeltaMeasuresIntervalsAndResets) {
  load("loadrt timedelta count=1\naddf timedelta.0 t\n");
  cycles(3);
  EXPECT_GT(std::stol(get("timedelta.0.out")), 0);
  EXPECT_LE(std::stol(get("timedelta.0.min")), std::stol(get("timedelta.0.max")));
  // Virtual cycles are back to back: every interval is far below the 1 ms period.
  EXPECT_LT(std::stol(get("timedelta.0.current-error")), 0);
  set("timedelta.0.reset", "1");
  cycles(1);
  EXPECT_EQ(get("timedelta.0.max"), "0");
  EXPECT_EQ(get("timedelta.0.err"), "0");
}

TEST_F(Components, InstanceNamingAndArgumentErrors) {
  load("loadrt and2 names=left,right\n");
  EXPECT_TRUE(hal_.functions().contains("left"));
  EXPECT_TRUE(hal_.pins().contains("right.in1"));
  s_.clear();
  EXPECT_FALSE(s_.run("loadrt or2 count=2 names=a\n"));
  // The loader's line (the component's message), then halcmd's, as LinuxCNC prints a module that does not load.
  EXPECT_EQ(s_.err(), "or2: count= and names= are mutually exclusive\ntest.hal:1: insmod for or2 failed, returned -1\n");
  s_.clear();
  EXPECT_FALSE(s_.run("loadrt or2 speed=2\n"));
  EXPECT_EQ(s_.err(), "or2: unknown argument 'speed' for or2\ntest.hal:1: insmod for or2 failed, returned -1\n");
  s_.clear();
  EXPECT_FALSE(s_.run("loadrt and2\n"));
  EXPECT_EQ(s_.err(), "and2: already exists\ntest.hal:1: insmod for and2 failed, returned -1\n");
  s_.clear();
  EXPECT_FALSE(s_.run("loadrt or2 names=right\n"));
  EXPECT_EQ(s_.err(), "or2: duplicate pin 'right.in0'\ntest.hal:1: insmod for or2 failed, returned -1\n");
  EXPECT_EQ(hal_.find_component("or2"), nullptr) << "a failed load is removed";
}

}  // namespace
}  // namespace rtstep::hal

namespace rtstep::hal {
namespace {

// pid against a first-order plant (lowpass: y += (u - y) * 0.05 per 1 ms, a 20 ms time constant): with P
// and I the loop settles on the command with no steady-state error; with P alone an error remains.
TEST_F(Components, PidSettlesAFirstOrderPlant) {
  load("loadrt pid num_chan=1\nloadrt lowpass\naddf pid.0.do-pid-calcs t\naddf lowpass.0 t\n"
       "net u pid.0.output => lowpass.0.in\nnet y lowpass.0.out => pid.0.feedback\n"
       "setp lowpass.0.gain 0.05\nsetp pid.0.Pgain 2\nsetp pid.0.Igain 30\nsetp pid.0.maxoutput 10\n"
       "setp pid.0.command 1\nsetp pid.0.enable 1\n");
  cycles(2000);  // 2 s
  EXPECT_NEAR(getf("lowpass.0.out"), 1.0, 1e-3);
  EXPECT_NEAR(getf("pid.0.error"), 0.0, 1e-3);
  EXPECT_EQ(get("pid.0.saturated"), "FALSE");
  set("pid.0.Igain", "0");
  set("pid.0.enable", "0");
  cycles(1);
  EXPECT_EQ(getf("pid.0.output"), 0.0) << "disabled: output 0";
  set("pid.0.enable", "1");
  cycles(2000);
  EXPECT_NEAR(getf("lowpass.0.out"), 2.0 / 3.0, 1e-3) << "P only: y = P/(1+P) of the command";
}

TEST_F(Components, PidClampsTheOutputAndCountsSaturation) {
  load("loadrt pid names=p\naddf p.do-pid-calcs t\nsetp p.Pgain 100\nsetp p.maxoutput 5\nsetp p.command 1\n"
       "setp p.enable 1\nsetp p.error-previous-target 0\n");
  cycles(3);
  EXPECT_EQ(getf("p.output"), 5.0);
  EXPECT_EQ(get("p.saturated"), "TRUE");
  EXPECT_EQ(get("p.saturated-count"), "3");
  EXPECT_EQ(getf("p.command-deriv"), 0.0) << "unlinked -deriv pins hold the internal difference";
}

}  // namespace
}  // namespace rtstep::hal
