// The priority hierarchy (rt/hierarchy.hpp).
#include "rt/hierarchy.hpp"

#include <gtest/gtest.h>

namespace rtstep::rt {
namespace {

TEST(Hierarchy, DefaultsAreValidAndOrdered) {
  Hierarchy h;
  h.cpus = {1};
  h.host_cpus = {0};
  ASSERT_TRUE(check_hierarchy(h).ok());
  const ThreadSpec exec = thread_spec(Role::kExecutor, h);
  EXPECT_EQ(exec.name, "rtstep-exec");
  EXPECT_EQ(exec.policy, Policy::kFifo);
  EXPECT_EQ(exec.priority, 80);
  EXPECT_EQ(exec.cpus, (std::vector<int>{1}));
  EXPECT_TRUE(exec.lock_memory);
  const ThreadSpec servo = thread_spec(Role::kServo, h);
  EXPECT_EQ(servo.name, "rtstep-servo");
  EXPECT_EQ(servo.priority, 70);
  EXPECT_EQ(servo.cpus, (std::vector<int>{0}));
  EXPECT_EQ(thread_spec(Role::kHost, h).priority, 60);
  EXPECT_EQ(thread_spec(Role::kPlanner, h).priority, 50);
  const ThreadSpec log = thread_spec(Role::kLog, h);
  EXPECT_EQ(log.name, "rtstep-log");
  EXPECT_EQ(log.policy, Policy::kOther);
  EXPECT_EQ(log.nice, 10);
  EXPECT_FALSE(log.lock_memory);
  // Every role's name fits the 15-character limit.
  for (const Role r : {Role::kExecutor, Role::kBase, Role::kServo, Role::kHost, Role::kPlanner, Role::kLog}) {
    EXPECT_TRUE(check_thread_spec(thread_spec(r, h)).ok()) << role_name(r);
  }
}

TEST(Hierarchy, EachLevelMustBeBelowTheOneAbove) {
  Hierarchy h;
  h.servo_priority = 75;
  EXPECT_EQ(check_hierarchy(h).error().message,
            "servo_priority 75 must be below base_priority 75 (executor > base > servo > host > planner)");
  h = Hierarchy{};
  h.planner_priority = 65;
  EXPECT_EQ(check_hierarchy(h).error().message,
            "planner_priority 65 must be below host_priority 60 (executor > base > servo > host > planner)");
  h = Hierarchy{};
  h.base_priority = 0;
  EXPECT_EQ(check_hierarchy(h).error().message, "base_priority 0 is outside 1..99");
}

TEST(Hierarchy, HostAndPlannerMayRunAsOther) {
  Hierarchy h;
  h.host_priority = 0;
  EXPECT_FALSE(check_hierarchy(h).ok()) << "a real-time planner below a SCHED_OTHER host is inverted";
  h.planner_priority = 0;
  ASSERT_TRUE(check_hierarchy(h).ok());
  EXPECT_EQ(thread_spec(Role::kHost, h).policy, Policy::kOther);
  EXPECT_EQ(thread_spec(Role::kPlanner, h).policy, Policy::kOther);
}

TEST(Hierarchy, LogNiceAndCpuOverlap) {
  Hierarchy h;
  h.log_nice = -1;
  EXPECT_EQ(check_hierarchy(h).error().message, "log_nice -1 is outside 0..19");
  h = Hierarchy{};
  h.cpus = {1};
  h.host_cpus = {0, 1};
  EXPECT_EQ(check_hierarchy(h).error().message, "host_cpus: CPU 1 is also in cpus");
}

}  // namespace
}  // namespace rtstep::rt
