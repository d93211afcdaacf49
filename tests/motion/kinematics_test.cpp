#include <gtest/gtest.h>

#include "motion/motion.hpp"
#include "test_machine.hpp"

namespace rtstep::motion {
namespace {

TEST(Kinematics, CartesianMapsEachAxisToItsStepper) {
  auto machine = testing::test_machine("cartesian");
  auto kin = Kinematics::create(machine);
  ASSERT_TRUE(kin.ok());
  const Coord pos{10, 20, 3, 7};
  EXPECT_DOUBLE_EQ(kin->stepper_position(0, pos), 10);
  EXPECT_DOUBLE_EQ(kin->stepper_position(1, pos), 20);
  EXPECT_DOUBLE_EQ(kin->stepper_position(2, pos), 3);
  EXPECT_DOUBLE_EQ(kin->stepper_position(3, pos), 7);
}

TEST(Kinematics, CoreXYMixesXAndY) {
  auto machine = testing::test_machine("corexy");
  auto kin = Kinematics::create(machine);
  ASSERT_TRUE(kin.ok());
  const Coord pos{10, 4, 0, 0};
  EXPECT_DOUBLE_EQ(kin->stepper_position(0, pos), 14);  // A = X + Y
  EXPECT_DOUBLE_EQ(kin->stepper_position(1, pos), 6);   // B = X - Y
}

TEST(Kinematics, UnknownKinematicsIsAnError) {
  auto machine = testing::test_machine("delta");
  auto kin = Kinematics::create(machine);
  ASSERT_FALSE(kin.ok());
  EXPECT_EQ(kin.error().message, "kinematics \"delta\" is not supported");
}

}  // namespace
}  // namespace rtstep::motion
