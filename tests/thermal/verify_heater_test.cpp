// verify_heater's rule step by step, one check a second, on hand-fed temperatures.

#include "thermal/verify_heater.hpp"

#include <gtest/gtest.h>

namespace rtstep::thermal {
namespace {

TEST(VerifyHeater, HeatingAtTheExpectedRateNeverTrips) {
  HeaterCheck c("extruder", {});
  double temp = 25;
  for (int t = 0; t < 200; ++t) {
    EXPECT_FALSE(c.check(t, temp, 210)) << t;
    temp = std::min(210.0, temp + 1.0);  // 1 C/s: 20 C per 20 s window, well above 2 C
  }
}

TEST(VerifyHeater, SlowHeaterTripsOnceItStopsGaining) {
  // Gains 2 C per 20 s at first (just enough), then stalls at 100 C.
  HeaterCheck c("extruder", {});
  double temp = 25;
  int tripped = -1;
  for (int t = 0; t < 400 && tripped < 0; ++t) {
    if (c.check(t, temp, 210)) tripped = t;
    if (t < 100) temp += 0.11;
  }
  // Stall at ~36 C from t=100: the last goal was set at the last gain; 20 s later the approach ends, and
  // the next check already holds an error of far more than 120 (about 170 per check).
  EXPECT_GT(tripped, 100);
  EXPECT_LE(tripped, 122);
}

TEST(VerifyHeater, ErrorAccumulatesOnlyBelowTargetMinusHysteresis) {
  HeaterCheck c("heater_bed", {5, 120, 2, 60});
  EXPECT_FALSE(c.check(0, 60, 60));  // at target
  // Droops to 54 (1 C below the band) with the target unchanged: +1 per check, trips after 120 checks.
  int tripped = -1;
  for (int t = 1; t < 200 && tripped < 0; ++t) {
    if (auto msg = c.check(t, 54, 60)) {
      tripped = t;
      EXPECT_EQ(*msg, "Heater heater_bed not heating at expected rate");
    }
  }
  EXPECT_EQ(tripped, 120);
}

TEST(VerifyHeater, BackInTheBandResetsTheError) {
  HeaterCheck d("extruder", {});
  d.check(0, 210, 210);
  for (int t = 1; t < 20; ++t) EXPECT_FALSE(d.check(t, 203, 210));  // 2 per check: 38 after 19 checks
  EXPECT_EQ(d.error(), 38.0);
  EXPECT_FALSE(d.check(20, 207, 210));
  EXPECT_EQ(d.error(), 0.0);
}

TEST(VerifyHeater, NoTargetNoCheck) {
  HeaterCheck c("extruder", {});
  for (int t = 0; t < 100; ++t) EXPECT_FALSE(c.check(t, 25, 0));
}

}  // namespace
}  // namespace rtstep::thermal
