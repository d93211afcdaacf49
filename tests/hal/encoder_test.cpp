// encoder: counts a generated quadrature signal in x4, x1 and counter modes; index latch; velocity.
#include <gtest/gtest.h>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

class EncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(s_.run("loadrt threads name1=base period1=50000 name2=servo period2=1000000\n"
                       "loadrt encoder num_chan=1\naddf encoder.update-counters base\n"
                       "addf encoder.capture-position servo\n"))
        << s_.err();
  }
  void set(const std::string& pin, bool v) { ASSERT_TRUE(hal_.set_pin_or_param(pin, v ? "1" : "0").ok()); }
  // `edges` quadrature transitions (A leading B forward when `forward`), one base period each.
  void quadrature(int edges, bool forward) {
    static constexpr int kSeq[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    for (int i = 0; i < edges; ++i) {
      phase_ = (phase_ + (forward ? 1 : 3)) % 4;
      set("encoder.0.phase-A", kSeq[phase_][0] != 0);
      set("encoder.0.phase-B", kSeq[phase_][1] != 0);
      ASSERT_TRUE(hal_.run_virtual(1).ok());
    }
  }
  std::string get(const std::string& name) { return *hal_.get_pin_or_param(name); }

  Hal hal_;
  Session s_{hal_};
  int phase_ = 0;
};

TEST_F(EncoderTest, X4CountsEveryEdgeInBothDirections) {
  quadrature(400, true);
  EXPECT_EQ(get("encoder.0.rawcounts"), "400");
  quadrature(100, false);
  EXPECT_EQ(get("encoder.0.rawcounts"), "300");
  ASSERT_TRUE(hal_.run_virtual(20).ok());  // a servo period
  EXPECT_EQ(get("encoder.0.counts"), "300");
  ASSERT_TRUE(hal_.set_pin_or_param("encoder.0.position-scale", "100").ok());
  ASSERT_TRUE(hal_.run_virtual(20).ok());
  EXPECT_EQ(get("encoder.0.position"), "3");
}

TEST_F(EncoderTest, X1CountsOncePerCycle) {
  set("encoder.0.x4-mode", false);
  quadrature(400, true);
  EXPECT_EQ(get("encoder.0.rawcounts"), "100");
  quadrature(40, false);
  EXPECT_EQ(get("encoder.0.rawcounts"), "90");
}

TEST_F(EncoderTest, CounterModeCountsRisingEdgesOfA) {
  set("encoder.0.counter-mode", true);
  quadrature(400, false);  // direction does not matter: 100 rising edges of A
  EXPECT_EQ(get("encoder.0.rawcounts"), "100");
}

TEST_F(EncoderTest, IndexLatchesAndVelocityFollows) {
  quadrature(21, true);  // servo at cycles 0 and 20: 20 counts in between (20 base periods of 50 us)
  EXPECT_EQ(get("encoder.0.velocity"), "20000") << "20 counts per ms";
  set("encoder.0.index-enable", true);
  set("encoder.0.phase-Z", true);
  ASSERT_TRUE(hal_.run_virtual(1).ok());
  EXPECT_EQ(get("encoder.0.index-enable"), "FALSE") << "cleared at the index";
  quadrature(39, true);  // raw 60 at cycle 60, where the servo runs
  EXPECT_EQ(get("encoder.0.counts"), "39") << "counted from the index, latched at raw 21";
  set("encoder.0.reset", true);
  ASSERT_TRUE(hal_.run_virtual(20).ok());
  EXPECT_EQ(get("encoder.0.counts"), "0");
}

TEST_F(EncoderTest, LatchInputCapturesTheCountAtTheSelectedEdges) {
  ASSERT_TRUE(hal_.set_pin_or_param("encoder.0.position-scale", "4").ok());
  quadrature(10, true);                // cycles 0-9: raw 10
  set("encoder.0.latch-input", true);  // rising edge in cycle 10, at raw 10
  ASSERT_TRUE(hal_.run_virtual(1).ok());
  quadrature(10, true);  // cycles 11-20; the servo runs at cycle 20 and publishes the latch
  EXPECT_EQ(get("encoder.0.counts"), "20");
  EXPECT_EQ(get("encoder.0.counts-latched"), "10");
  EXPECT_EQ(get("encoder.0.position-latched"), "2.5");
  set("encoder.0.latch-falling", false);
  set("encoder.0.latch-input", false);  // falling edge in cycle 21: not selected
  ASSERT_TRUE(hal_.run_virtual(1).ok());
  quadrature(19, true);  // cycles 22-40: raw 39, servo at 40
  EXPECT_EQ(get("encoder.0.counts-latched"), "10");
  set("encoder.0.latch-input", true);  // rising edge in cycle 41, at raw 39
  ASSERT_TRUE(hal_.run_virtual(1).ok());
  quadrature(19, true);  // servo at 60
  EXPECT_EQ(get("encoder.0.counts-latched"), "39");
}

}  // namespace
}  // namespace rtstep::hal
