// connection.hpp: a Connection against the test MCU (sim_mcu.hpp) over a simulated link with latency,
// loss and corruption, on a virtual clock.

#include "mcu/connection.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <random>

#include "sim_mcu.hpp"

namespace rtstep::mcu {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

// Host, link and MCU on one virtual clock. The line is a 250000-baud serial line (40 µs per byte) with
// 1 ms of latency each way: each block arrives when its last byte has crossed, after the blocks written
// before it; a block may be lost or have a byte flipped with the given probabilities. Between events the
// clock advances in 0.1 ms steps, and arrivals happen at their exact times.
struct Bench {
  static constexpr int64_t kByteNs = 40'000;
  static constexpr int64_t kLatencyNs = kMs;
  test::SimMcu mcu;
  int64_t now = 2 * kSecond;
  Connection host{now, ConnectionOptions{kByteNs, 100 * kMs, 5 * kSecond}};
  double loss = 0, corruption = 0;
  std::mt19937 rng{21};
  struct InFlight {
    int64_t at;
    std::vector<uint8_t> bytes;
  };
  std::deque<InFlight> to_mcu, to_host;
  int64_t host_line_free = 0, mcu_line_free = 0;

  // Splits written bytes into their blocks (a retransmission's leading sync byte travels with the first)
  // and schedules each on the line behind what is already on it.
  void transmit(const std::vector<uint8_t>& bytes, int64_t& line_free, std::deque<InFlight>& queue) {
    std::uniform_real_distribution<double> u(0, 1);
    int64_t t = std::max(now, line_free);
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      std::size_t len = bytes[pos] == kSync ? 1 + bytes[pos + 1] : bytes[pos];
      len = std::min(len, bytes.size() - pos);
      std::vector<uint8_t> block(bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                                 bytes.begin() + static_cast<std::ptrdiff_t>(pos + len));
      pos += len;
      t += kByteNs * static_cast<int64_t>(len);
      if (u(rng) < loss) continue;
      if (u(rng) < corruption) block[rng() % block.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      queue.push_back({t + kLatencyNs, std::move(block)});
    }
    line_free = t;
  }

  void step() {
    int64_t next = now + 100'000;
    if (!to_mcu.empty()) next = std::min(next, to_mcu.front().at);
    if (!to_host.empty()) next = std::min(next, to_host.front().at);
    now = std::max(next, now);
    while (!to_mcu.empty() && to_mcu.front().at <= now) {
      const auto reply = mcu.receive(to_mcu.front().bytes, now);
      to_mcu.pop_front();
      transmit(reply, mcu_line_free, to_host);
    }
    while (!to_host.empty() && to_host.front().at <= now) {
      host.receive(to_host.front().bytes, now);
      to_host.pop_front();
    }
    std::vector<uint8_t> out;
    (void)host.poll(now, out);
    transmit(out, host_line_free, to_mcu);
  }

  void run_until(LinkState state, int64_t limit_ns) {
    while (host.state() != state && host.state() != LinkState::kFailed && now < limit_ns) step();
  }
  void run_for(int64_t ns) {
    const int64_t end = now + ns;
    while (now < end) step();
  }

  double clock_error_us() const {
    return (host.clock()->estimate().clock_at(now) - static_cast<double>(mcu.clock_at(now))) / mcu.hz * 1e6;
  }
};

TEST(Connection, IdentifiesThenSynchronisesTheClock) {
  Bench b;
  b.run_until(LinkState::kClockSync, 60 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kClockSync) << b.host.failure();
  EXPECT_EQ(b.host.dictionary().version(), "v0.13.0-test");
  EXPECT_EQ(*b.host.dictionary().constant_integer("CLOCK_FREQ"), 72000000);
  EXPECT_EQ(b.mcu.identify_requests, static_cast<int>((b.mcu.compressed.size() + 39) / 40) + 1);
  b.run_until(LinkState::kReady, b.now + 10 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kReady) << b.host.failure();
  // The burst took about 8 × 50 ms; the clock is already known to well under a millisecond.
  EXPECT_LT(std::fabs(b.clock_error_us()), 500.0);
  b.run_for(120 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kReady);
  EXPECT_NEAR(b.host.clock()->frequency_hz(), b.mcu.hz, 1e-6 * 72e6);
  // The bench's delays are fixed and symmetric once each block's wire time is taken off (the host
  // subtracts the answer's, as Klipper's does): the estimate is exact but for rounding.
  EXPECT_LT(std::fabs(b.clock_error_us()), 5.0);
  EXPECT_EQ(b.host.window().stats().retransmits, 0u);
  EXPECT_EQ(b.host.undecodable_blocks(), 0u);
}

TEST(Connection, SurvivesALossyLink) {
  Bench b;
  b.loss = 0.05;
  b.corruption = 0.05;
  b.run_until(LinkState::kReady, 120 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kReady) << b.host.failure();
  b.run_for(60 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kReady) << b.host.failure();
  EXPECT_GT(b.host.window().stats().retransmits, 0u);
  EXPECT_GT(b.host.parser().invalid_bytes(), 0u);
  EXPECT_NEAR(b.host.clock()->frequency_hz(), b.mcu.hz, 1e-6 * 72e6);
  EXPECT_LT(std::fabs(b.clock_error_us()), 5.0);  // lost answers are missing samples, not wrong ones
}

TEST(Connection, CommandsReachTheMcuInOrder) {
  Bench b;
  b.run_until(LinkState::kReady, 60 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kReady);
  for (int64_t i = 0; i < 50; ++i) {
    const Arg args[] = {{"oid", int64_t{1}}, {"interval", 1000 + i}, {"count", int64_t{10}}, {"add", int64_t{0}}};
    ASSERT_TRUE(b.host.send("queue_step", args).ok());
  }
  b.run_for(200 * kMs);
  std::vector<int64_t> intervals;
  for (const Message& m : b.mcu.commands) {
    if (m.name == "queue_step") intervals.push_back(*m.integer("interval"));
  }
  ASSERT_EQ(intervals.size(), 50u);
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(intervals[static_cast<std::size_t>(i)], 1000 + i);
  const Arg bad[] = {{"oid", int64_t{1}}};
  EXPECT_FALSE(b.host.send("queue_step", bad).ok());
}

TEST(Connection, OtherMessagesWaitInTheInbox) {
  Bench b;
  b.run_until(LinkState::kReady, 60 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kReady);
  std::vector<uint8_t> shutdown = {83};
  append_vlq(shutdown, 12345);
  append_vlq(shutdown, 3);
  std::vector<uint8_t> block;
  (void)append_block(block, b.mcu.expected, shutdown);
  b.host.receive(block, b.now);
  const auto inbox = b.host.take_messages();
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].name, "shutdown");
  EXPECT_EQ(*inbox[0].text("static_string_id"), "Timer too close");
  EXPECT_TRUE(b.host.take_messages().empty());
}

TEST(Connection, FailsWhenTheMcuNeverAnswers) {
  Bench b;
  b.mcu.mute = true;
  b.run_until(LinkState::kReady, 60 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kFailed);
  EXPECT_NE(b.host.failure().find("did not answer identify for 5.0 s"), std::string::npos) << b.host.failure();
  EXPECT_LT(b.now, 2 * kSecond + 6 * kSecond);
  const Arg none[] = {{"oid", int64_t{1}}};
  const Status s = b.host.send("get_clock", std::span<const Arg>(none, 0));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("failed"), std::string::npos);
}

TEST(Connection, FailsWhenTheClockStopsAnswering) {
  Bench b;
  b.run_until(LinkState::kReady, 60 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kReady);
  b.mcu.mute = true;  // the board hangs
  b.run_for(10 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kFailed);
  EXPECT_NE(b.host.failure().find("lost communication with the MCU"), std::string::npos);
}

TEST(Connection, RefusesAFirmwareWithoutWhatRtstepNeeds) {
  Bench b;
  std::string json = test::kDictionaryJson;
  const std::string drop = R"("set_next_step_dir oid=%c dir=%c": 22,)";
  json.erase(json.find(drop), drop.size());
  b.mcu.compressed = deflate_zlib(json);
  b.run_until(LinkState::kReady, 60 * kSecond);
  ASSERT_EQ(b.host.state(), LinkState::kFailed);
  EXPECT_NE(b.host.failure().find("'set_next_step_dir'"), std::string::npos) << b.host.failure();
}

}  // namespace
}  // namespace rtstep::mcu
