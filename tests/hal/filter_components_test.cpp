// limit3, biquad (filter_comps.cpp), multiclick and mux_generic: LinuxCNC's pin, parameter and function
// names and their documented behaviour, cycle by cycle in virtual time (1 ms thread).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

constexpr double kPeriod = 1e-3;  // s

// A Hal with one 1 ms thread `t` and the given lines run; cycle() runs periods, get() reads a value.
class Bench {
 public:
  explicit Bench(const std::string& lines) : s_(hal_) {
    EXPECT_TRUE(s_.run("loadrt threads name1=t period1=1000000\n" + lines)) << s_.err();
  }
  void run(const std::string& lines) { EXPECT_TRUE(s_.run(lines)) << s_.err(); }
  bool try_run(const std::string& lines) { return s_.run(lines); }
  std::string err() const { return s_.err(); }
  void cycle(int n = 1) { ASSERT_TRUE(hal_.run_virtual(n).ok()); }
  std::string get(const std::string& name) {
    auto v = hal_.get_pin_or_param(name);
    return v ? *v : "?";
  }
  double num(const std::string& name) { return std::stod(get(name)); }
  bool bit(const std::string& name) { return get(name) == "TRUE"; }
  Hal& hal() { return hal_; }

 private:
  Hal hal_;
  testing::Session s_;
};

// --- limit3 ---

// Runs limit3.0 `n` periods and returns out after each one.
std::vector<double> trace_out(Bench& b, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    b.cycle();
    out.push_back(b.num("limit3.0.out"));
  }
  return out;
}

// The largest |velocity| and |acceleration| along a trace that started at rest at `start`.
void max_derivatives(const std::vector<double>& out, double start, double& vmax, double& amax) {
  double prev = start, prev_v = 0;
  vmax = amax = 0;
  for (const double x : out) {
    const double v = (x - prev) / kPeriod;
    vmax = std::max(vmax, std::fabs(v));
    amax = std::max(amax, std::fabs(v - prev_v) / kPeriod);
    prev = x;
    prev_v = v;
  }
}

TEST(FilterComponents, Limit3FollowsAStepWithinVelocityAndAccelerationLimitsAndLocksOn) {
  Bench b("loadrt limit3\naddf limit3.0 t\nsetp limit3.0.maxv 2\nsetp limit3.0.maxa 20\nsetp limit3.0.in 1\n");
  const auto out = trace_out(b, 2000);
  double vmax = 0, amax = 0;
  max_derivatives(out, 0.0, vmax, amax);
  EXPECT_LE(vmax, 2.0 + 1e-9);
  EXPECT_LE(amax, 20.0 * (1 + 1e-6));
  EXPECT_GT(vmax, 1.9) << "it moves at the velocity limit on the way";
  EXPECT_EQ(out.back(), 1.0) << "it locks onto the input exactly";
  for (double x : out) EXPECT_LE(x, 1.0 + 1e-9) << "no overshoot";
}

TEST(FilterComponents, Limit3StaysInsideMinAndMaxWhileTheInputLeavesThem) {
  Bench b("loadrt limit3\naddf limit3.0 t\nsetp limit3.0.maxv 5\nsetp limit3.0.maxa 50\n"
          "setp limit3.0.min -0.5\nsetp limit3.0.max 0.5\n");
  double worst = 0;
  for (int i = 0; i < 4000; ++i) {
    b.run("setp limit3.0.in " + std::to_string(2 * std::sin(2 * std::numbers::pi * i * kPeriod)) + "\n");
    b.cycle();
    worst = std::max(worst, std::fabs(b.num("limit3.0.out")));
  }
  EXPECT_LE(worst, 0.5 + 1e-9);
  EXPECT_GT(worst, 0.49) << "it reaches the limit";
}

TEST(FilterComponents, Limit3LoadJumpsAndDisableReturnsToZero) {
  Bench b("loadrt limit3\naddf limit3.0 t\nsetp limit3.0.maxv 1\nsetp limit3.0.maxa 10\n"
          "setp limit3.0.max 3\nsetp limit3.0.in 7\nsetp limit3.0.load 1\n");
  b.cycle(2);  // two periods: load also leaves the output at rest
  EXPECT_DOUBLE_EQ(b.num("limit3.0.out"), 3.0) << "load ignores maxv and maxa but not max";
  b.run("setp limit3.0.load 0\nsetp limit3.0.enable 0\n");
  b.cycle();
  EXPECT_LT(b.num("limit3.0.out"), 3.0);
  EXPECT_GT(b.num("limit3.0.out"), 2.99) << "returns to 0 within the limits, not at once";
  b.cycle(6000);
  EXPECT_EQ(b.num("limit3.0.out"), 0.0);
  EXPECT_EQ(b.get("limit3.0.smooth-steps"), "2");
  Bench defaults("loadrt limit3\n");
  EXPECT_EQ(defaults.get("limit3.0.maxa"), "1e+07");
  EXPECT_EQ(defaults.get("limit3.0.enable"), "TRUE");
}

// --- biquad ---

TEST(FilterComponents, BiquadPassesThroughUntilEnabledAndDesignsALowPass) {
  Bench b("loadrt biquad\naddf biquad.0 t\nsetp biquad.0.type 1\nsetp biquad.0.f0 10\nsetp biquad.0.in 2\n");
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("biquad.0.out"), 2.0) << "disabled: out = in";
  EXPECT_EQ(b.get("biquad.0.valid"), "FALSE");
  b.run("setp biquad.0.enable 1\n");
  b.cycle();
  EXPECT_EQ(b.get("biquad.0.valid"), "TRUE");
  // The cookbook low pass at 10 Hz, Q 0.7071, sampled at 1 kHz.
  const double w0 = 2 * std::numbers::pi * 10 / 1000, alpha = std::sin(w0) / (2 * 0.7071), a0 = 1 + alpha;
  EXPECT_NEAR(b.num("biquad.0.n0"), (1 - std::cos(w0)) / 2 / a0, 1e-6);
  EXPECT_NEAR(b.num("biquad.0.d1"), -2 * std::cos(w0) / a0, 1e-6);
  EXPECT_NEAR(b.num("biquad.0.d2"), (1 - alpha) / a0, 1e-6);
  EXPECT_LT(b.num("biquad.0.out"), 0.01) << "the filter starts from rest";
  b.cycle(1000);
  EXPECT_NEAR(b.num("biquad.0.out"), 2.0, 1e-6) << "unit gain at DC";
}

TEST(FilterComponents, BiquadNotchRemovesItsFrequencyAndBadDesignsPassThrough) {
  Bench b("loadrt biquad\naddf biquad.0 t\nsetp biquad.0.type 2\nsetp biquad.0.f0 50\nsetp biquad.0.enable 1\n");
  double late_peak = 0;
  for (int i = 0; i < 2000; ++i) {
    b.run("setp biquad.0.in " + std::to_string(std::sin(2 * std::numbers::pi * 50 * i * kPeriod)) + "\n");
    b.cycle();
    if (i > 1500) late_peak = std::max(late_peak, std::fabs(b.num("biquad.0.out")));
  }
  EXPECT_EQ(b.get("biquad.0.valid"), "TRUE");
  EXPECT_LT(late_peak, 0.01) << "50 Hz is notched out";
  // Q outside [0.5, 2]: invalid, out = in. The design happens on the rising edge of enable.
  b.run("setp biquad.0.Q 3\nsetp biquad.0.enable 0\n");
  b.cycle();
  b.run("setp biquad.0.enable 1\nsetp biquad.0.in 0.25\n");
  b.cycle();
  EXPECT_EQ(b.get("biquad.0.valid"), "FALSE");
  EXPECT_DOUBLE_EQ(b.num("biquad.0.out"), 0.25);
}

TEST(FilterComponents, BiquadDirectCoefficients) {
  Bench b("loadrt biquad\naddf biquad.0 t\nsetp biquad.0.n0 0.5\nsetp biquad.0.n1 0.5\n"
          "setp biquad.0.enable 1\nsetp biquad.0.in 4\n");
  b.cycle();
  EXPECT_EQ(b.get("biquad.0.valid"), "TRUE");
  EXPECT_DOUBLE_EQ(b.num("biquad.0.out"), 2.0) << "0.5 x[n]";
  b.cycle();
  EXPECT_DOUBLE_EQ(b.num("biquad.0.out"), 4.0) << "0.5 x[n] + 0.5 x[n-1]";
}

// --- multiclick ---

// Clicks: the input high for `high` periods, then low for `low` periods; returns the outputs seen.
struct ClickSeen {
  bool single = false, single_only = false, dbl = false, dbl_only = false, quad = false;
};

class Clicker {
 public:
  Clicker() : b_("loadrt multiclick\naddf multiclick.0 t\nsetp multiclick.0.max-hold-ns 50000000\n"
                 "setp multiclick.0.max-space-ns 60000000\nsetp multiclick.0.output-hold-ns 10000000\n") {}
  void hold(bool level, int periods) {
    b_.run(std::string("setp multiclick.0.in ") + (level ? "1" : "0") + "\n");
    for (int i = 0; i < periods; ++i) {
      b_.cycle();
      seen_.single |= b_.bit("multiclick.0.single-click");
      seen_.single_only |= b_.bit("multiclick.0.single-click-only");
      seen_.dbl |= b_.bit("multiclick.0.double-click");
      seen_.dbl_only |= b_.bit("multiclick.0.double-click-only");
      seen_.quad |= b_.bit("multiclick.0.quadruple-click");
    }
  }
  ClickSeen take() { return std::exchange(seen_, {}); }
  Bench& bench() { return b_; }

 private:
  Bench b_;
  ClickSeen seen_;
};

TEST(FilterComponents, MulticlickTellsSingleFromDoubleClicks) {
  Clicker c;
  c.hold(true, 20);
  c.hold(false, 30);
  EXPECT_TRUE(c.take().single) << "single-click at the first release";
  c.hold(false, 40);  // 70 ms of space: more than max-space
  auto seen = c.take();
  EXPECT_TRUE(seen.single_only);
  EXPECT_FALSE(seen.dbl);
  EXPECT_EQ(c.bench().get("multiclick.0.state"), "0");
  c.hold(false, 20);  // the single-click-only pulse ends
  c.take();

  c.hold(true, 10);
  c.hold(false, 20);
  c.hold(true, 10);
  c.hold(false, 100);
  seen = c.take();
  EXPECT_TRUE(seen.single);
  EXPECT_TRUE(seen.dbl);
  EXPECT_TRUE(seen.dbl_only);
  EXPECT_FALSE(seen.single_only) << "a second click followed";
}

TEST(FilterComponents, MulticlickPulsesLastOutputHoldAndLongHoldsAreNotClicks) {
  Clicker c;
  c.hold(true, 5);
  c.hold(false, 1);
  EXPECT_EQ(c.bench().get("multiclick.0.single-click"), "TRUE");
  EXPECT_EQ(c.bench().get("multiclick.0.state"), "2");
  c.hold(false, 8);
  EXPECT_EQ(c.bench().get("multiclick.0.single-click"), "TRUE") << "9 ms of a 10 ms pulse";
  c.hold(false, 2);
  EXPECT_EQ(c.bench().get("multiclick.0.single-click"), "FALSE");
  c.hold(false, 100);
  c.take();
  c.hold(true, 80);  // longer than max-hold
  EXPECT_EQ(c.bench().get("multiclick.0.state"), "9");
  c.hold(false, 100);
  const auto seen = c.take();
  EXPECT_FALSE(seen.single) << "a press held too long is no click";
  EXPECT_FALSE(seen.single_only);
}

TEST(FilterComponents, MulticlickCountsFourClicksAndInvertsItsInput) {
  Clicker c;
  c.bench().run("setp multiclick.0.invert-input 1\n");
  c.hold(true, 100);  // inverted: idle
  EXPECT_EQ(c.bench().get("multiclick.0.state"), "0");
  for (int i = 0; i < 4; ++i) {
    c.hold(false, 5);
    c.hold(true, 5);
  }
  EXPECT_TRUE(c.take().quad);
  EXPECT_EQ(c.bench().get("multiclick.0.state"), "8");
}

// --- mux_generic ---

TEST(FilterComponents, MuxGenericNamesAndSelectsByBitsPlusInteger) {
  Bench b("loadrt mux_generic config=f4,s2u,b6f,f5f\n"
          "addf mux-gen.00 t\naddf mux-gen.01 t\naddf mux-gen.02 t\naddf mux-gen.03 t\n"
          "setp mux-gen.00.in-float-00 10\nsetp mux-gen.00.in-float-01 11\nsetp mux-gen.00.in-float-02 12\n"
          "setp mux-gen.00.in-float-03 13\n");
  EXPECT_NE(b.get("mux-gen.00.sel-bit-01"), "?");
  EXPECT_EQ(b.get("mux-gen.02.sel-bit-00"), "?") << "6 inputs: no select bits";
  EXPECT_NE(b.get("mux-gen.03.sel-bit-01"), "?") << "5 inputs: two select bits, as LinuxCNC makes";
  EXPECT_NE(b.get("mux-gen.01.out-u32"), "?");
  EXPECT_NE(b.get("mux-gen.02.in-bit-05"), "?");
  b.run("setp mux-gen.00.sel-bit-01 1\n");
  b.cycle();
  EXPECT_EQ(b.get("mux-gen.00.out-float"), "12");
  EXPECT_EQ(b.get("mux-gen.00.selected"), "2");
  b.run("setp mux-gen.00.sel-int 1\n");
  b.cycle();
  EXPECT_EQ(b.get("mux-gen.00.out-float"), "13") << "bits and sel-int add";
  b.run("setp mux-gen.00.sel-int 40\n");
  b.cycle();
  EXPECT_EQ(b.get("mux-gen.00.out-float"), "13") << "past the end: the last input";
}

TEST(FilterComponents, MuxGenericConvertsBetweenTypesAsLinuxCnc) {
  Bench b("loadrt mux_generic config=f2s,f2u,f2b,u2s,s2u,b2f\n"
          "addf mux-gen.00 t\naddf mux-gen.01 t\naddf mux-gen.02 t\naddf mux-gen.03 t\naddf mux-gen.04 t\n"
          "addf mux-gen.05 t\n"
          "setp mux-gen.00.in-float-00 -1e12\nsetp mux-gen.00.in-float-01 -2.9\n"
          "setp mux-gen.01.in-float-00 -4\nsetp mux-gen.01.in-float-01 1e12\n"
          "setp mux-gen.02.in-float-00 1e-7\nsetp mux-gen.02.in-float-01 -3e-7\n"
          "setp mux-gen.03.in-u32-00 0xFFFFFFFF\nsetp mux-gen.04.in-s32-00 -5\nsetp mux-gen.05.in-bit-00 1\n");
  b.cycle();
  EXPECT_EQ(b.get("mux-gen.00.out-s32"), "-2147483648");
  EXPECT_EQ(b.get("mux-gen.01.out-u32"), "0");
  EXPECT_EQ(b.get("mux-gen.02.out-bit"), "FALSE") << "|1e-7| is within 2e-7 of zero";
  EXPECT_EQ(b.get("mux-gen.03.out-s32"), "2147483647");
  EXPECT_EQ(b.get("mux-gen.04.out-u32"), "0");
  EXPECT_EQ(b.get("mux-gen.05.out-float"), "1");
  b.run("setp mux-gen.00.sel-int 1\nsetp mux-gen.01.sel-int 1\nsetp mux-gen.02.sel-int 1\n");
  b.cycle();
  EXPECT_EQ(b.get("mux-gen.00.out-s32"), "-2") << "truncated towards zero";
  EXPECT_EQ(b.get("mux-gen.01.out-u32"), "4294967295");
  EXPECT_EQ(b.get("mux-gen.02.out-bit"), "TRUE");
}

TEST(FilterComponents, MuxGenericDebounceAndSuppress) {
  Bench b("loadrt mux_generic config=s3\naddf mux-gen.00 t\nsetp mux-gen.00.in-s32-00 100\n"
          "setp mux-gen.00.in-s32-01 101\nsetp mux-gen.00.in-s32-02 102\nsetp mux-gen.00.debounce-us 2500\n");
  b.cycle();
  EXPECT_EQ(b.get("mux-gen.00.out-s32"), "100");
  b.run("setp mux-gen.00.sel-int 2\n");
  b.cycle(3);
  EXPECT_EQ(b.get("mux-gen.00.out-s32"), "100") << "2.5 ms not yet stable";
  EXPECT_EQ(b.get("mux-gen.00.elapsed"), "3000");
  b.cycle();
  EXPECT_EQ(b.get("mux-gen.00.out-s32"), "102");
  b.run("setp mux-gen.00.debounce-us 0\nsetp mux-gen.00.suppress-no-input 1\nsetp mux-gen.00.sel-int 0\n");
  b.cycle();
  EXPECT_EQ(b.get("mux-gen.00.out-s32"), "102") << "selection 0 suppressed";
}

TEST(FilterComponents, MuxGenericConfigErrorsNameTheItem) {
  Hal hal;
  testing::Session s(hal);
  EXPECT_FALSE(s.run("loadrt mux_generic config=f4,x3\n"));
  EXPECT_NE(s.err().find("'x3'"), std::string::npos) << s.err();
  EXPECT_FALSE(s.run("loadrt mux_generic config=b1\n"));
  EXPECT_NE(s.err().find("2 to 1024"), std::string::npos) << s.err();
  EXPECT_FALSE(s.run("loadrt mux_generic config=bfs4\n"));
  EXPECT_NE(s.err().find("more than two types"), std::string::npos) << s.err();
  EXPECT_FALSE(s.run("loadrt mux_generic\n"));
  EXPECT_NE(s.err().find("needs config="), std::string::npos) << s.err();
  EXPECT_TRUE(s.run("loadrt mux_generic config=u8\n")) << s.err();
}

}  // namespace
}  // namespace rtstep::hal
