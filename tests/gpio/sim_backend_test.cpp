// SimBackend: configuration checks, levels, rising-edge counts and tracked positions.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "gpio/gpio.hpp"

namespace rtstep::gpio {
namespace {

std::vector<PinSpec> pins(std::size_t n) {
  std::vector<PinSpec> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back({"gpio" + std::to_string(i), false});
  return v;
}

constexpr PinMask bit(std::size_t pin) { return PinMask{1} << pin; }

TEST(SimBackend, AcceptsUpTo64PinsAndRefusesMore) {
  SimBackend sim;
  EXPECT_TRUE(sim.configure(pins(64)).ok());
  const Status too_many = sim.configure(pins(65));
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("65"), std::string::npos) << too_many.error().message;
  EXPECT_EQ(sim.name(), "sim");
}

TEST(SimBackend, RefusesDuplicatePinNames) {
  SimBackend sim;
  const std::vector<PinSpec> specs = {{"PB8", false}, {"PB9", false}, {"PB9", true}};
  const Status st = sim.configure(specs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "pin PB9 used twice");
}

TEST(SimBackend, WriteSetsAndClearsLevelsAndCountsRisingEdges) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(pins(4)).ok());
  for (std::size_t p = 0; p < 4; ++p) EXPECT_FALSE(sim.level(p));
  sim.write(bit(0) | bit(2), 0, 0, 0);
  EXPECT_TRUE(sim.level(0));
  EXPECT_FALSE(sim.level(1));
  EXPECT_TRUE(sim.level(2));
  sim.write(bit(0), 0, 0, 0);  // already high: no new edge
  sim.write(0, bit(0), 0, 0);
  sim.write(bit(0), bit(2), 0, 0);
  sim.write(0, 0, 0, 0);       // pins in neither mask keep their level
  EXPECT_TRUE(sim.level(0));
  EXPECT_FALSE(sim.level(2));
  EXPECT_EQ(sim.rising_edges(0), 2U);
  EXPECT_EQ(sim.rising_edges(1), 0U);
  EXPECT_EQ(sim.rising_edges(2), 1U);
  EXPECT_EQ(sim.writes(), 5U);
  EXPECT_FALSE(sim.level(99));
  EXPECT_EQ(sim.rising_edges(99), 0U);
}

TEST(SimBackend, TracksPositionWithDirLevel) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(pins(4)).ok());
  sim.track_stepper(0, 1);
  sim.track_stepper(2, 3);
  // Stepper 0: three steps with dir high, one with dir low.
  sim.write(bit(1), 0, 0, 0);
  for (int i = 0; i < 3; ++i) {
    sim.write(bit(0), 0, 0, 0);
    sim.write(0, bit(0), 0, 0);
  }
  sim.write(0, bit(1), 0, 0);
  sim.write(bit(0), 0, 0, 0);
  sim.write(0, bit(0), 0, 0);
  // Stepper 1: two steps with dir low.
  for (int i = 0; i < 2; ++i) {
    sim.write(bit(2), 0, 0, 0);
    sim.write(0, bit(2), 0, 0);
  }
  EXPECT_EQ(sim.position(0), 2);
  EXPECT_EQ(sim.position(1), -2);
  EXPECT_EQ(sim.position(7), 0);
}

TEST(SimBackend, DirChangeInTheSameWriteCountsWithTheNewDir) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(pins(2)).ok());
  sim.track_stepper(0, 1);
  sim.write(bit(0) | bit(1), 0, 0, 0);  // caller bug: dir and step together; the new dir (high) counts
  EXPECT_EQ(sim.position(0), 1);
  sim.write(0, bit(0) | bit(1), 0, 0);
  sim.write(bit(0), 0, 0, 0);
  EXPECT_EQ(sim.position(0), 0);
}

TEST(SimBackend, ConfigureResetsLevelsAndCounters) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(pins(2)).ok());
  sim.track_stepper(0, 1);
  sim.write(bit(0) | bit(1), 0, 0, 0);
  ASSERT_TRUE(sim.configure(pins(2)).ok());
  EXPECT_FALSE(sim.level(0));
  EXPECT_EQ(sim.rising_edges(0), 0U);
  EXPECT_EQ(sim.position(0), 0);
  EXPECT_EQ(sim.writes(), 0U);
}

TEST(SimBackend, IgnoresOutOfRangeTracking) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(pins(2)).ok());
  sim.track_stepper(64, 1);
  sim.track_stepper(0, 1);
  sim.write(bit(0), 0, 0, 0);
  EXPECT_EQ(sim.position(0), -1) << "the out-of-range call must not take a tracking slot";
}

TEST(SimBackend, ReadersOnAnotherThreadSeeCounters) {
  SimBackend sim;
  ASSERT_TRUE(sim.configure(pins(2)).ok());
  sim.track_stepper(0, 1);
  constexpr uint64_t kSteps = 100'000;
  std::thread writer([&] {
    sim.write(bit(1), 0, 0, 0);
    for (uint64_t i = 0; i < kSteps; ++i) {
      sim.write(bit(0), 0, 0, 0);
      sim.write(0, bit(0), 0, 0);
    }
  });
  uint64_t last = 0;
  bool monotonic = true;
  while (last < kSteps) {
    const uint64_t now = sim.rising_edges(0);
    monotonic = monotonic && now >= last;
    last = now;
  }
  writer.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(sim.position(0), static_cast<int64_t>(kSteps));
}

}  // namespace
}  // namespace rtstep::gpio
