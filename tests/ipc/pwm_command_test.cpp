// PwmCommand: the host-side helper that turns a duty fraction into a kPwm record, and the record's trip
// through a real ring between two attached sides.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>

#include "ipc/ipc.hpp"

namespace rtstep::ipc {
namespace {

constexpr int64_t kCycle = 100'000'000;  // a heater's 0.1 s

TEST(PwmCommand, DutyFractionBecomesTheOnTimeOfTheCycle) {
  const PwmCommand p = pwm_command(3, 0.25, kCycle, 5'000);
  EXPECT_EQ(p.output, 3);
  EXPECT_EQ(p.cycle_ns, kCycle);
  EXPECT_EQ(p.on_ns, 25'000'000);
  EXPECT_EQ(p.time_ns, 5'000);
  EXPECT_EQ(pwm_command(0, 1.0 / 3.0, 10'000'000, 0).on_ns, 3'333'333) << "rounded to the nearest ns";
  EXPECT_EQ(pwm_command(0, 2.0 / 3.0, 10'000'000, 0).on_ns, 6'666'667);
}

TEST(PwmCommand, DutyOutsideZeroToOneIsClampedAndNanIsOff) {
  EXPECT_EQ(pwm_command(0, 1.5, kCycle, 0).on_ns, kCycle);
  EXPECT_EQ(pwm_command(0, -0.2, kCycle, 0).on_ns, 0);
  EXPECT_EQ(pwm_command(0, std::numeric_limits<double>::quiet_NaN(), kCycle, 0).on_ns, 0);
  static_assert(pwm_command(0, 1.0, kCycle, 0).on_ns == kCycle, "usable at compile time");
}

TEST(PwmCommand, ATimeBeforeTheLastRecordIsMovedToIt) {
  EXPECT_EQ(pwm_command(0, 0.5, kCycle, 1'000, 4'000).time_ns, 4'000);
  EXPECT_EQ(pwm_command(0, 0.5, kCycle, 9'000, 4'000).time_ns, 9'000);
}

TEST(PwmCommand, CrossesTheRingAsAPwmRecord) {
  const std::string name = "/rtstep-pwm-test-" + std::to_string(getpid());
  auto producer = SegmentRing::create(name, 8);
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  auto consumer = SegmentRing::attach(name);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  Record sent = Record::of(pwm_command(2, 0.5, kCycle, 123'456'789));
  sent.line = 17;
  ASSERT_TRUE(producer->try_push(sent));
  Record got;
  ASSERT_TRUE(consumer->try_pop(got));
  EXPECT_EQ(got.kind, RecordKind::kPwm);
  EXPECT_EQ(got.line, 17U);
  EXPECT_EQ(got.time_ns(), 123'456'789);
  EXPECT_EQ(got.pwm.output, 2);
  EXPECT_EQ(got.pwm.on_ns, kCycle / 2);
  EXPECT_EQ(got.pwm.cycle_ns, kCycle);
}

}  // namespace
}  // namespace rtstep::ipc
