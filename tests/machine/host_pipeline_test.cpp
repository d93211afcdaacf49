// HostPipeline (shared by run and plan): the emergency-stop callback and the horizon it publishes at a dwell.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "machine/host_pipeline.hpp"

namespace rtstep::machine {
namespace {

const std::string kExampleConfig = std::string(RTSTEP_SOURCE_DIR) + "/examples/printer.cfg";

struct Sink final : stepgen::RecordSink {
  std::vector<ipc::Record> records;
  std::vector<std::pair<int64_t, std::size_t>> horizons;  // horizon, records pushed before it
  Status push(const ipc::Record& r) override {
    records.push_back(r);
    return Ok{};
  }
  void set_horizon(int64_t t_ns) override { horizons.emplace_back(t_ns, records.size()); }
};

struct Fixture {
  Fixture() : machine(*config::load(kExampleConfig)), kinematics(*motion::Kinematics::create(machine)) {}
  config::MachineConfig machine;
  motion::Kinematics kinematics;
  Sink sink;
  std::ostringstream log;
};

TEST(HostPipeline, M112CallsTheEmergencyStopAtOnceAndSendsNothingMore) {
  Fixture f;
  HostPipeline host(f.machine, f.kinematics, "stop.gcode", 0, f.sink);
  std::vector<std::string> calls;
  std::size_t records_at_stop = 0;
  host.on_emergency_stop([&](const std::string& why) {
    calls.push_back(why);
    records_at_stop = f.sink.records.size();
  });
  std::istringstream in("G28\nG1 X50 Y50 F6000\nG1 X100 Y60\nG1 X101\nM112\nG1 X0 Y0\n");
  const FeedResult fed = host.feed(in, f.log);
  EXPECT_FALSE(fed.ok);
  EXPECT_TRUE(fed.emergency_stop);
  EXPECT_EQ(fed.error, "stop.gcode:5: emergency stop (M112)");
  ASSERT_EQ(calls, std::vector<std::string>{"M112"});
  // The queued moves are dropped, not flushed: nothing reached the sink after the stop was asked for.
  EXPECT_EQ(f.sink.records.size(), records_at_stop);
  EXPECT_LT(host.generator().position_steps(0), 101 * 80);
}

TEST(HostPipeline, OtherErrorsStillFinishTheQueueAndCallNoEmergencyStop) {
  Fixture f;
  HostPipeline host(f.machine, f.kinematics, "bad.gcode", 0, f.sink);
  bool called = false;
  host.on_emergency_stop([&](const std::string&) { called = true; });
  std::istringstream in("G28\nG1 X50 F6000\nG1 X999\n");
  const FeedResult fed = host.feed(in, f.log);
  EXPECT_FALSE(fed.ok);
  EXPECT_FALSE(fed.emergency_stop);
  EXPECT_FALSE(called);
  EXPECT_EQ(host.generator().position_steps(0), 50 * 80);  // the accepted move still ran
}

TEST(HostPipeline, ADwellPublishesTheHorizonAfterEverythingBeforeIt) {
  Fixture f;
  const int64_t origin = 1'000'000'000;
  HostPipeline host(f.machine, f.kinematics, "dwell.gcode", origin, f.sink);
  std::istringstream in("G28\nG1 X20 F6000\nG4 P5000\nG1 X0\n");
  ASSERT_TRUE(host.feed(in, f.log).ok);
  ASSERT_EQ(f.sink.horizons.size(), 2u);  // the G4 and the end of the file
  const auto [dwell_end, pushed] = f.sink.horizons[0];
  EXPECT_GE(dwell_end, origin + 5'000'000'000);  // through the whole dwell
  ASSERT_GT(pushed, 0u);
  // The promise holds: everything before the horizon was pushed before it, everything after starts later.
  for (std::size_t i = 0; i < f.sink.records.size(); ++i) {
    if (i < pushed) {
      EXPECT_LE(f.sink.records[i].time_ns(), dwell_end) << i;
    } else {
      EXPECT_GE(f.sink.records[i].time_ns(), dwell_end) << i;
    }
  }
  EXPECT_GT(f.sink.records.size(), pushed);  // the move after the dwell
  EXPECT_EQ(f.sink.horizons[1].first, origin + std::llround(host.toolhead().print_time() * 1e9));
}

}  // namespace
}  // namespace rtstep::machine
