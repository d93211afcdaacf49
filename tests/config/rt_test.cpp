// Tests of [rt]: defaults, unit conversion from seconds to nanoseconds, range checks.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace rtstep::config {
namespace {

using testing::error_of;
using testing::kMinimal;
using testing::load_text;

// kMinimal plus an [rt] section (header on line 32, first key on line 33).
std::string with_rt(const std::string& lines) { return std::string(kMinimal) + "[rt]\n" + lines + "\n"; }

RtConfig rt_ok(const std::string& lines) {
  auto config = load_text(with_rt(lines));
  EXPECT_TRUE(config.ok()) << config.error().message;
  return config ? config->rt : RtConfig{};
}

TEST(Rt, DefaultsWhenAbsent) {
  auto config = load_text(kMinimal);
  ASSERT_TRUE(config.ok());
  const RtConfig& rt = config->rt;
  EXPECT_EQ(rt.executor_priority, 80);
  EXPECT_TRUE(rt.cpus.empty());
  EXPECT_TRUE(rt.host_cpus.empty());
  EXPECT_EQ(rt.slack_ns, 50'000);
  EXPECT_EQ(rt.buffer_time_ns, 500'000'000);
  EXPECT_EQ(rt.ring_capacity, 4096u);
  EXPECT_EQ(rt.max_step_error, 1e-6);
  EXPECT_EQ(rt.dir_setup_ns, 200);
  EXPECT_TRUE(rt.allow_non_realtime);
}

TEST(Rt, ReadsEveryKeyInSeconds) {
  const RtConfig rt = rt_ok(
      "executor_priority: 95\ncpus: 2-3\nhost_cpus: 0,1\nslack: 0.00002\nbuffer_time: 0.1\nring_capacity: 65536\n"
      "max_step_error: 0.0000005\ndir_setup_time: 0.000001\nallow_non_realtime: no");
  EXPECT_EQ(rt.executor_priority, 95);
  EXPECT_EQ(rt.cpus, (std::vector<int>{2, 3}));
  EXPECT_EQ(rt.host_cpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(rt.slack_ns, 20'000);
  EXPECT_EQ(rt.buffer_time_ns, 100'000'000);
  EXPECT_EQ(rt.ring_capacity, 65536u);
  EXPECT_EQ(rt.max_step_error, 5e-7);
  EXPECT_EQ(rt.dir_setup_ns, 1000);
  EXPECT_FALSE(rt.allow_non_realtime);
}

TEST(Rt, AcceptsTheLimits) {
  EXPECT_EQ(rt_ok("executor_priority: 1").executor_priority, 1);
  EXPECT_EQ(rt_ok("executor_priority: 99").executor_priority, 99);
  EXPECT_EQ(rt_ok("ring_capacity: 64").ring_capacity, 64u);
  EXPECT_EQ(rt_ok("ring_capacity: 1048576").ring_capacity, 1048576u);
  EXPECT_EQ(rt_ok("max_step_error: 10e-6").max_step_error, 10e-6);
  EXPECT_EQ(rt_ok("buffer_time: 0.02").buffer_time_ns, 20'000'000);
  EXPECT_EQ(rt_ok("buffer_time: 5").buffer_time_ns, 5'000'000'000);
  EXPECT_EQ(rt_ok("slack: 0").slack_ns, 0);
  EXPECT_EQ(rt_ok("slack: 0.01").slack_ns, 10'000'000);
}

TEST(RtErrors, RangeChecks) {
  const auto check = [](const std::string& line, const std::string& expected) {
    EXPECT_EQ(error_of(with_rt(line)), "printer.cfg:33: [rt] " + expected) << line;
  };
  check("executor_priority: 0", "executor_priority: expected an integer in [1, 99], got \"0\"");
  check("executor_priority: 100", "executor_priority: expected an integer in [1, 99], got \"100\"");
  check("executor_priority: high", "executor_priority: expected an integer in [1, 99], got \"high\"");
  check("ring_capacity: 100", "ring_capacity: expected a power of two in [64, 1048576], got \"100\"");
  check("ring_capacity: 32", "ring_capacity: expected a power of two in [64, 1048576], got \"32\"");
  check("ring_capacity: 2097152", "ring_capacity: expected a power of two in [64, 1048576], got \"2097152\"");
  check("ring_capacity: -64", "ring_capacity: expected a power of two in [64, 1048576], got \"-64\"");
  check("ring_capacity: 4k", "ring_capacity: expected an integer, got \"4k\"");
  check("max_step_error: 0", "max_step_error: expected a number in (0, 1e-05], got \"0\"");
  check("max_step_error: 0.00002", "max_step_error: expected a number in (0, 1e-05], got \"0.00002\"");
  check("buffer_time: 0.01", "buffer_time: expected a number in [0.02, 5], got \"0.01\"");
  check("buffer_time: 250", "buffer_time: expected a number in [0.02, 5], got \"250\"");
  check("slack: 50", "slack: expected a number in [0, 0.01], got \"50\"");
  check("slack: -0.00001", "slack: expected a number in [0, 0.01], got \"-0.00001\"");
  check("dir_setup_time: 200", "dir_setup_time: expected a number in [0, 0.001], got \"200\"");
  check("allow_non_realtime: maybe", "allow_non_realtime: expected a boolean (true/false, yes/no, 1/0), got \"maybe\"");
  check("cpus: one", "cpus: bad CPU range \"one\" (expected a list like \"0-1,3\")");
  check("host_cpus: 0-2048", "host_cpus: CPU 2048 is out of range (0..1023) (expected a list like \"0-1,3\")");
}

TEST(RtErrors, HostThreadsMustStayOffTheExecutorCpus) {
  EXPECT_EQ(error_of(with_rt("cpus: 1\nhost_cpus: 0-1")),
            "printer.cfg:34: [rt] host_cpus: CPU 1 is also in cpus; the executor's CPUs must not run host threads");
}

TEST(RtErrors, UnknownKeysNameTheNearestKey) {
  EXPECT_EQ(error_of(with_rt("executor_prio: 50")),
            "printer.cfg:33: [rt] executor_prio: unknown key in this section (did you mean executor_priority?)");
  EXPECT_EQ(error_of(with_rt("slak: 0.00002")),
            "printer.cfg:33: [rt] slak: unknown key in this section (did you mean slack?)");
}

}  // namespace
}  // namespace rtstep::config
