// The executor's configuration from printer.cfg: the heartbeat watch is [rt] heartbeat_timeout on the real
// clock and relaxed on the virtual clock, where a busy machine can hold a non-real-time side off.
#include "machine/executor_side.hpp"

#include <gtest/gtest.h>

namespace rtstep::machine {
namespace {

config::MachineConfig example_machine() {
  auto machine = config::load(std::string(RTSTEP_SOURCE_DIR) + "/examples/printer.cfg");
  if (!machine) {
    ADD_FAILURE() << machine.error().message;
    return {};
  }
  return *machine;
}

TEST(ExecutorConfig, HeartbeatIsTheConfiguredOneOnTheRealClock) {
  config::MachineConfig machine = example_machine();
  machine.rt.heartbeat_timeout_ns = 100'000'000;
  const PinPlan pins = plan_pins(machine);
  EXPECT_EQ(executor_config(machine, pins, false).host_timeout_ns, 100'000'000);
}

TEST(ExecutorConfig, HeartbeatIsRelaxedOnTheVirtualClockButNeverShortened) {
  config::MachineConfig machine = example_machine();
  machine.rt.heartbeat_timeout_ns = 100'000'000;
  const PinPlan pins = plan_pins(machine);
  EXPECT_EQ(executor_config(machine, pins, true).host_timeout_ns, kVirtualClockHeartbeatNs);
  machine.rt.heartbeat_timeout_ns = 10'000'000'000;
  EXPECT_EQ(executor_config(machine, pins, true).host_timeout_ns, 10'000'000'000);
  EXPECT_EQ(heartbeat_timeout_ns(machine.rt, true), 10'000'000'000);
}

}  // namespace
}  // namespace rtstep::machine
