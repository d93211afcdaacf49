#include <gtest/gtest.h>

#include <cmath>

#include "motion/motion.hpp"

namespace rtstep::motion {
namespace {

Move straight(double distance) {
  Move m;
  m.distance = distance;
  m.axis_ratio = {1, 0, 0, 0};
  m.end = {distance, 0, 0, 0};
  return m;
}

TEST(Trapezoid, LongMoveReachesCruiseSpeed) {
  Move m = straight(100);
  plan_trapezoid(m, 100, 1000);  // ramps take 0.1 s and 5 mm each
  EXPECT_DOUBLE_EQ(m.cruise_v, 100);
  EXPECT_NEAR(m.accel_t, 0.1, 1e-12);
  EXPECT_NEAR(m.decel_t, 0.1, 1e-12);
  EXPECT_NEAR(m.cruise_t, 0.9, 1e-12);
  EXPECT_NEAR(m.distance_at(m.duration()), 100, 1e-9);
  EXPECT_NEAR(m.distance_at(0.1), 5, 1e-9);
  EXPECT_NEAR(m.distance_at(0.55), 50, 1e-9);
}

TEST(Trapezoid, ShortMoveIsATriangle) {
  Move m = straight(1);
  plan_trapezoid(m, 100, 1000);  // would need 10 mm to reach 100 mm/s
  EXPECT_NEAR(m.cruise_v, std::sqrt(1000.0), 1e-9);
  EXPECT_NEAR(m.cruise_t, 0, 1e-12);
  EXPECT_NEAR(m.distance_at(m.duration()), 1, 1e-9);
  EXPECT_NEAR(m.distance_at(m.accel_t), 0.5, 1e-9);
}

TEST(Trapezoid, TimeAtDistanceInvertsDistanceAt) {
  for (double length : {0.01, 1.0, 37.5, 400.0}) {
    Move m = straight(length);
    plan_trapezoid(m, 150, 3000);
    for (int i = 0; i <= 1000; ++i) {
      const double t = m.duration() * i / 1000.0;
      EXPECT_NEAR(m.time_at_distance(m.distance_at(t)), t, 1e-9) << "length " << length << " t " << t;
    }
  }
}

TEST(Trapezoid, DistanceIsMonotonic) {
  Move m = straight(20);
  plan_trapezoid(m, 80, 500);
  double last = -1;
  for (int i = 0; i <= 10000; ++i) {
    const double d = m.distance_at(m.duration() * i / 10000.0);
    EXPECT_GE(d, last);
    last = d;
  }
}

}  // namespace
}  // namespace rtstep::motion
