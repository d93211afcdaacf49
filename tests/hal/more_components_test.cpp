// The components added for LinuxCNC configurations and tests (math_comps.cpp, bit_comps.cpp): LinuxCNC's
// pin, parameter and function names, and their behaviour cycle by cycle in virtual time (1 ms thread).
#include <gtest/gtest.h>

#include <string>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

// A Hal with one 1 ms thread `t` and the given lines run; cycle() runs periods, get() reads a value.
class Bench {
 public:
  explicit Bench(const std::string& lines) : s_(hal_) {
    EXPECT_TRUE(s_.run("loadrt threads name1=t period1=1000000\n" + lines)) << s_.err();
  }
  void run(const std::string& lines) { EXPECT_TRUE(s_.run(lines)) << s_.err(); }
  void cycle(int n = 1) { ASSERT_TRUE(hal_.run_virtual(n).ok()); }
  std::string get(const std::string& name) {
    auto v = hal_.get_pin_or_param(name);
    return v ? *v : "?";
  }
  double num(const std::string& name) { return std::stod(get(name)); }
  Hal& hal() { return hal_; }

 private:
  Hal hal_;
  testing::Session s_;
};

TEST(MoreComponents, AbsGivesMagnitudeAndSign) {
  Bench b("loadrt abs count=1\naddf abs.0 t\nsetp abs.0.in -2.5\n");
  b.cycle();
  EXPECT_EQ(b.get("abs.0.out"), "2.5");
  EXPECT_EQ(b.get("abs.0.sign"), "TRUE");
  EXPECT_EQ(b.get("abs.0.is-negative"), "TRUE");
  EXPECT_EQ(b.get("abs.0.is-positive"), "FALSE");
  b.run("setp abs.0.in 0\n");
  b.cycle();
  EXPECT_EQ(b.get("abs.0.sign"), "FALSE");
  EXPECT_EQ(b.get("abs.0.is-positive"), "FALSE");
  EXPECT_EQ(b.get("abs.0.is-negative"), "FALSE");
}

TEST(MoreComponents, DdtAndIntegUseThePeriodInSeconds) {
  Bench b("loadrt ddt\nloadrt integ\naddf ddt.0 t\naddf integ.0 t\nsetp ddt.0.in 0.002\nsetp integ.0.in 3\n");
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("ddt.0.out"), 2.0);  // 0.002 in 1 ms
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("ddt.0.out"), 0.0);
  EXPECT_NEAR(b.num("integ.0.out"), 0.006, 1e-12);
  b.run("setp integ.0.gain 2\nsetp integ.0.max 0.01\n");
  b.cycle(5);
  EXPECT_DOUBLE_EQ(b.num("integ.0.out"), 0.01) << "clamped to max";
  b.run("setp integ.0.reset 1\n");
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("integ.0.out"), 0.0);
}

TEST(MoreComponents, Sum2DeadzoneLimit1Limit2) {
  Bench b("loadrt sum2\nloadrt deadzone\nloadrt limit1\nloadrt limit2\n"
          "addf sum2.0 t\naddf deadzone.0 t\naddf limit1.0 t\naddf limit2.0 t\n"
          "setp sum2.0.in0 1\nsetp sum2.0.in1 2\nsetp sum2.0.gain1 -0.5\nsetp sum2.0.offset 10\n"
          "setp deadzone.0.in 0.4\nsetp limit1.0.in 7\nsetp limit1.0.max 5\n"
          "setp limit2.0.in 1\nsetp limit2.0.maxv 100\n");
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("sum2.0.out"), 10.0);
  EXPECT_DOUBLE_EQ(b.num("deadzone.0.out"), 0.0) << "inside center +- threshold/2";
  EXPECT_DOUBLE_EQ(b.num("limit1.0.out"), 5.0);
  EXPECT_NEAR(b.num("limit2.0.out"), 0.1, 1e-12) << "100/s for 1 ms";
  b.run("setp deadzone.0.in 2\nsetp limit2.0.load 1\n");
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("deadzone.0.out"), 1.5);
  EXPECT_DOUBLE_EQ(b.num("limit2.0.out"), 1.0) << "load jumps";
  EXPECT_EQ(b.get("deadzone.0.threshold"), "1");
  EXPECT_EQ(b.get("limit2.0.min"), "-1e+20");
}

TEST(MoreComponents, IlowpassNearCompWcompMux4) {
  Bench b("loadrt ilowpass\nloadrt near\nloadrt comp\nloadrt wcomp\nloadrt mux4\n"
          "addf ilowpass.0 t\naddf near.0 t\naddf comp.0 t\naddf wcomp.0 t\naddf mux4.0 t\n"
          "setp ilowpass.0.in 10\nsetp near.0.in1 -2\nsetp near.0.in2 -2.05\nsetp near.0.difference 0.1\n"
          "setp comp.0.in1 1\nsetp comp.0.hyst 0.5\nsetp wcomp.0.in 1\nsetp wcomp.0.max 2\n"
          "setp mux4.0.in2 7\nsetp mux4.0.sel1 1\n");
  b.cycle();
  EXPECT_EQ(b.get("ilowpass.0.out"), "5120") << "half way (gain .5) times 1024";
  EXPECT_EQ(b.get("near.0.out"), "TRUE");
  EXPECT_EQ(b.get("comp.0.out"), "TRUE");
  EXPECT_EQ(b.get("comp.0.equal"), "FALSE");
  EXPECT_EQ(b.get("wcomp.0.out"), "TRUE");
  EXPECT_EQ(b.get("wcomp.0.under"), "FALSE");
  EXPECT_DOUBLE_EQ(b.num("mux4.0.out"), 7.0);
  // Inside the hysteresis band the comparator keeps its state and says equal.
  b.run("setp comp.0.in0 0.9\nsetp wcomp.0.in 2\n");
  b.cycle();
  EXPECT_EQ(b.get("comp.0.out"), "TRUE");
  EXPECT_EQ(b.get("comp.0.equal"), "TRUE");
  EXPECT_EQ(b.get("wcomp.0.over"), "TRUE");
  EXPECT_EQ(b.get("wcomp.0.out"), "FALSE");
}

TEST(MoreComponents, MinmaxKeepsTheExtremesUntilReset) {
  Bench b("loadrt minmax\naddf minmax.0 t\nsetp minmax.0.in 3\n");
  b.cycle();
  b.run("setp minmax.0.in -2\n");
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("minmax.0.max"), 3.0);
  EXPECT_DOUBLE_EQ(b.num("minmax.0.min"), -2.0);
  b.run("setp minmax.0.reset 1\nsetp minmax.0.in 1\n");
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("minmax.0.max"), 1.0);
  EXPECT_DOUBLE_EQ(b.num("minmax.0.min"), 1.0);
}

TEST(MoreComponents, LogicHasThePinsItsPersonalityAsksFor) {
  Bench b("loadrt logic count=2 personality=0x603,0x1902\naddf logic.0 t\naddf logic.1 t\n"
          "setp logic.0.in-00 1\nsetp logic.0.in-02 1\n");
  b.cycle();
  EXPECT_EQ(b.get("logic.0.or"), "TRUE");
  EXPECT_EQ(b.get("logic.0.xor"), "FALSE") << "two of three inputs: even parity";
  EXPECT_EQ(b.hal().find_pin("logic.0.and"), nullptr);
  EXPECT_EQ(b.get("logic.1.nand"), "TRUE");
  EXPECT_EQ(b.get("logic.1.nor"), "TRUE");
  EXPECT_EQ(b.get("logic.1.and"), "FALSE");
  EXPECT_EQ(b.hal().find_pin("logic.1.in-02"), nullptr);
  b.run("setp logic.1.in-00 1\nsetp logic.1.in-01 1\n");
  b.cycle();
  EXPECT_EQ(b.get("logic.1.and"), "TRUE");
  EXPECT_EQ(b.get("logic.1.nand"), "FALSE");
}

TEST(MoreComponents, Xor2FlipflopSelect8) {
  Bench b("loadrt xor2\nloadrt flipflop\nloadrt select8\naddf xor2.0 t\naddf flipflop.0 t\naddf select8.0 t\n"
          "setp xor2.0.in0 1\nsetp flipflop.0.data 1\nsetp select8.0.sel 3\n");
  b.cycle();
  EXPECT_EQ(b.get("xor2.0.out"), "TRUE");
  EXPECT_EQ(b.get("flipflop.0.out"), "FALSE");
  EXPECT_EQ(b.get("flipflop.0.out-not"), "TRUE");
  EXPECT_EQ(b.get("select8.0.out3"), "TRUE");
  EXPECT_EQ(b.get("select8.0.out0"), "FALSE");
  b.run("setp flipflop.0.clk 1\nsetp select8.0.enable 0\n");
  b.cycle();
  EXPECT_EQ(b.get("flipflop.0.out"), "TRUE") << "rising clock copies data";
  EXPECT_EQ(b.get("select8.0.out3"), "FALSE");
  b.run("setp flipflop.0.data 0\n");
  b.cycle();
  EXPECT_EQ(b.get("flipflop.0.out"), "TRUE") << "no edge, no copy";
  b.run("setp flipflop.0.reset 1\nsetp flipflop.0.set 1\n");
  b.cycle();
  EXPECT_EQ(b.get("flipflop.0.out"), "FALSE") << "reset wins";
}

TEST(MoreComponents, EdgeDefaultsToTheFallingEdgeWithAOnePeriodPulse) {
  Bench b("loadrt edge\naddf edge.0 t\nsetp edge.0.in 1\n");
  b.cycle();
  EXPECT_EQ(b.get("edge.0.out"), "FALSE") << "in-edge TRUE: falling";
  b.run("setp edge.0.in 0\n");
  b.cycle();
  EXPECT_EQ(b.get("edge.0.out"), "TRUE");
  EXPECT_EQ(b.get("edge.0.out-invert"), "FALSE");
  b.cycle();
  EXPECT_EQ(b.get("edge.0.out"), "FALSE");
  b.run("setp edge.0.in-edge 0\nsetp edge.0.out-width-ns 2500000\nsetp edge.0.in 1\n");
  b.cycle();
  EXPECT_EQ(b.get("edge.0.time-left-ns"), "2500000");
  b.cycle(2);
  EXPECT_EQ(b.get("edge.0.out"), "TRUE");
  EXPECT_EQ(b.get("edge.0.time-left-ns"), "500000");
  b.cycle(2);
  EXPECT_EQ(b.get("edge.0.out"), "FALSE");
}

TEST(MoreComponents, ThreadtestIncrementsAndResets) {
  Bench b("loadrt threadtest\naddf threadtest.0.increment t\n");
  b.cycle(3);
  EXPECT_EQ(b.get("threadtest.0.count"), "3");
  b.run("addf threadtest.0.reset t\n");  // after increment in the same thread: every cycle ends at 0
  b.cycle(2);
  EXPECT_EQ(b.get("threadtest.0.count"), "0");
}

TEST(MoreComponents, EdgeIgnoresTheLevelAtStartAndPulsesOnePeriodWhenTheWidthIsShorter) {
  Bench b("loadrt edge\naddf edge.0 t\nsetp edge.0.both 1\nsetp edge.0.out-width-ns 250000\nsetp edge.0.in 1\n");
  b.cycle();
  EXPECT_EQ(b.get("edge.0.out"), "FALSE") << "high from the start: no rising edge";
  EXPECT_EQ(b.get("edge.0.out-invert"), "TRUE");
  b.run("setp edge.0.in 0\n");
  b.cycle();
  EXPECT_EQ(b.get("edge.0.out"), "TRUE");
  b.cycle();
  EXPECT_EQ(b.get("edge.0.out"), "FALSE") << "0.25 ms of a 1 ms period: one period";
  EXPECT_EQ(b.get("edge.0.time-left-ns"), "0");
}

TEST(MoreComponents, OneshotTimedelayToggle) {
  Bench b("loadrt oneshot\nloadrt timedelay\nloadrt toggle\naddf oneshot.0 t\naddf timedelay.0 t\naddf toggle.0 t\n"
          "setp oneshot.0.width 0.0025\nsetp oneshot.0.in 1\nsetp timedelay.0.in 1\nsetp timedelay.0.on-delay 0.0025\n"
          "setp toggle.0.in 1\n");
  b.cycle();
  EXPECT_EQ(b.get("oneshot.0.out"), "TRUE");
  EXPECT_EQ(b.get("timedelay.0.out"), "FALSE");
  EXPECT_EQ(b.get("toggle.0.out"), "FALSE") << "debounce 2 periods";
  b.cycle();
  EXPECT_EQ(b.get("toggle.0.out"), "TRUE");
  b.cycle();
  EXPECT_EQ(b.get("timedelay.0.out"), "TRUE") << "in TRUE for 3 ms >= on-delay";
  EXPECT_EQ(b.get("oneshot.0.out"), "TRUE") << "0.5 ms of the 2.5 ms pulse left";
  b.cycle();
  EXPECT_EQ(b.get("oneshot.0.out"), "FALSE");
  EXPECT_EQ(b.get("oneshot.0.out-not"), "TRUE");
  b.cycle(4);
  EXPECT_EQ(b.get("toggle.0.out"), "TRUE") << "held: toggles once";
  b.run("setp toggle.0.in 0\n");
  b.cycle(3);
  b.run("setp toggle.0.in 1\n");
  b.cycle(3);
  EXPECT_EQ(b.get("toggle.0.out"), "FALSE") << "second press";
}

TEST(MoreComponents, DebounceGroupsNeedDelaySamples) {
  Bench b("loadrt debounce cfg=2,1\naddf debounce.0 t\nsetp debounce.0.delay 3\nsetp debounce.0.1.in 1\n");
  EXPECT_EQ(b.get("debounce.1.delay"), "5");
  b.cycle(2);
  EXPECT_EQ(b.get("debounce.0.1.out"), "FALSE");
  b.cycle();
  EXPECT_EQ(b.get("debounce.0.1.out"), "TRUE");
  EXPECT_EQ(b.get("debounce.0.0.out"), "FALSE");
  EXPECT_NE(b.hal().find_pin("debounce.1.0.in"), nullptr);
  EXPECT_EQ(b.hal().find_pin("debounce.1.1.in"), nullptr);
}

TEST(MoreComponents, MotionModulesOfLinuxcncAreAcceptedWithoutPins) {
  Hal hal;
  testing::Session s(hal);
  ASSERT_TRUE(s.run("loadrt trivkins coordinates=xyz\nloadrt tpmod\nloadrt homemod\n")) << s.err();
  EXPECT_NE(hal.find_component("trivkins"), nullptr);
  EXPECT_NE(hal.find_component("homemod"), nullptr);
  EXPECT_NE(s.err().find("loadrt trivkins: accepted without effect: rtstep's motmod takes its kinematics from the "
                         "[printer] section of --config"),
            std::string::npos)
      << s.err();
  EXPECT_NE(s.err().find("loadrt tpmod: accepted without effect"), std::string::npos);
}

}  // namespace
}  // namespace rtstep::hal
