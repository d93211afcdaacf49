// transmit.hpp: the host's block window against a small MCU model, on a virtual clock.

#include "mcu/transmit.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

namespace rtstep::mcu {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kStart = 1'000'000'000;  // virtual time starts at 1 s (0 means "unknown" to the window)

// The MCU's side of the transport, as Klipper's firmware behaves: a block with the expected sequence is
// taken and acknowledged (an empty block carrying the next expected sequence); a block with another
// sequence, or a corrupt one, is answered by a nak (the same empty block, sequence not advanced).
struct MiniMcu {
  uint8_t expected = 1;
  BlockParser parser;
  uint64_t errors_seen = 0;
  std::vector<std::vector<uint8_t>> payloads;

  std::vector<uint8_t> receive(std::span<const uint8_t> in) {
    std::vector<uint8_t> out;
    while (!in.empty()) {
      in = in.subspan(parser.feed(in));
      while (auto b = parser.next()) {
        if (b->sequence() == expected) {
          expected = (expected + 1) & kSeqMask;
          payloads.emplace_back(b->payload().begin(), b->payload().end());
        }
        (void)append_block(out, expected, {});
      }
      if (parser.errors() != errors_seen) {
        errors_seen = parser.errors();
        (void)append_block(out, expected, {});
      }
    }
    return out;
  }
};

std::vector<Block> blocks_in(std::span<const uint8_t> bytes) {
  BlockParser p;
  std::vector<Block> out;
  while (!bytes.empty()) {
    bytes = bytes.subspan(p.feed(bytes));
    while (auto b = p.next()) out.push_back(*b);
  }
  return out;
}

void feed_host(TransmitWindow& w, std::span<const uint8_t> bytes, int64_t now) {
  for (const Block& b : blocks_in(bytes)) (void)w.on_block(b, now);
}

std::vector<uint8_t> message(uint32_t n, std::size_t size = 2) {
  std::vector<uint8_t> m = {0x05};
  append_vlq(m, n);
  m.resize(std::max(size, m.size()), 0x00);
  return m;
}

TEST(TransmitWindow, PacksMessagesIntoBlocksInOrder) {
  TransmitWindow w;
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(w.queue(message(i, 10)));
  std::vector<uint8_t> out;
  w.poll(kStart, out);
  const auto blocks = blocks_in(out);
  ASSERT_EQ(blocks.size(), 2u);              // 5 messages of 10 bytes fit in 59, the 6th does not
  EXPECT_EQ(blocks[0].payload().size(), 50u);
  EXPECT_EQ(blocks[1].payload().size(), 50u);
  EXPECT_EQ(blocks[0].sequence(), 1);
  EXPECT_EQ(blocks[1].sequence(), 2);
  EXPECT_EQ(blocks[0].payload()[10 + 1], 1);  // message 1 follows message 0
  EXPECT_EQ(w.pending_blocks(), 2u);
  EXPECT_FALSE(w.queue(std::vector<uint8_t>(60, 0)));
  EXPECT_FALSE(w.queue({}));
}

TEST(TransmitWindow, LowerRequestClockLeavesFirst) {
  TransmitWindow w;
  ASSERT_TRUE(w.queue(message(1), 500));
  ASSERT_TRUE(w.queue(message(2), 100));
  ASSERT_TRUE(w.queue(message(3), 500));
  std::vector<uint8_t> out;
  w.poll(kStart, out);
  const auto blocks = blocks_in(out);
  ASSERT_EQ(blocks.size(), 1u);
  const auto p = blocks[0].payload();
  EXPECT_EQ(std::vector<uint8_t>(p.begin(), p.end()), (std::vector<uint8_t>{5, 2, 5, 1, 5, 3}));
}

TEST(TransmitWindow, AtMostTwelveBlocksAwaitAnAcknowledgement) {
  TransmitWindow w;
  for (uint32_t i = 0; i < 40; ++i) ASSERT_TRUE(w.queue(message(i, 59)));
  std::vector<uint8_t> out;
  w.poll(kStart, out);
  EXPECT_EQ(blocks_in(out).size(), kMaxPendingBlocks);
  EXPECT_EQ(w.pending_blocks(), 12u);
  out.clear();
  w.poll(kStart + kMs, out);
  EXPECT_TRUE(out.empty());
  // The MCU acknowledges the first 5: expected sequence 6.
  std::vector<uint8_t> ack;
  (void)append_block(ack, 6, {});
  feed_host(w, ack, kStart + 2 * kMs);
  EXPECT_EQ(w.pending_blocks(), 7u);
  out.clear();
  w.poll(kStart + 2 * kMs, out);
  EXPECT_EQ(blocks_in(out).size(), 5u);
  EXPECT_EQ(w.send_sequence(), 18u);
}

TEST(TransmitWindow, ReceiveWindowLimitsUnacknowledgedBytes) {
  TransmitWindow w;
  w.set_receive_window(192);  // three full blocks
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(w.queue(message(i, 59)));
  std::vector<uint8_t> out;
  w.poll(kStart, out);
  EXPECT_EQ(blocks_in(out).size(), 3u);
  // An explicit acknowledgement of the first block frees its bytes: one more block.
  std::vector<uint8_t> ack;
  (void)append_block(ack, 2, {});
  feed_host(w, ack, kStart + kMs);
  out.clear();
  w.poll(kStart + kMs, out);
  EXPECT_EQ(blocks_in(out).size(), 1u);
  // A response that acknowledges the next block may still be in the MCU's buffer: no room yet.
  std::vector<uint8_t> response;
  (void)append_block(response, 3, std::vector<uint8_t>{0x51, 0x01});
  feed_host(w, response, kStart + 2 * kMs);
  out.clear();
  w.poll(kStart + 2 * kMs, out);
  EXPECT_TRUE(out.empty());
  // Its explicit acknowledgement follows: room again.
  ack.clear();
  (void)append_block(ack, 3, {});
  feed_host(w, ack, kStart + 3 * kMs);
  out.clear();
  w.poll(kStart + 3 * kMs, out);
  EXPECT_EQ(blocks_in(out).size(), 1u);
}

TEST(TransmitWindow, PollSaysWhenItRetransmits) {
  TransmitWindow w;
  ASSERT_TRUE(w.queue(message(0)));
  std::vector<uint8_t> out;
  EXPECT_FALSE(w.poll(kStart, out));
  ASSERT_TRUE(w.queue(message(1)));
  out.clear();
  EXPECT_TRUE(w.poll(w.next_deadline_ns(), out));
  ASSERT_EQ(out[0], kSync);
  EXPECT_EQ(blocks_in(out).size(), 2u);  // the retransmitted block, then the new one
}

TEST(TransmitWindow, SequenceNumbersWrapModuloSixteen) {
  TransmitWindow w;
  MiniMcu mcu;
  int64_t now = kStart;
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(w.queue(message(i, 59)));
    std::vector<uint8_t> out;
    w.poll(now, out);
    feed_host(w, mcu.receive(out), now + kMs);
    now += 2 * kMs;
  }
  EXPECT_EQ(mcu.payloads.size(), 100u);
  EXPECT_EQ(w.send_sequence(), 101u);
  EXPECT_EQ(w.receive_sequence(), 101u);
  EXPECT_EQ(w.pending_blocks(), 0u);
  EXPECT_EQ(w.stats().retransmits, 0u);
  EXPECT_EQ(w.next_deadline_ns(), kNever);
}

TEST(TransmitWindow, NakRetransmitsAllPendingBlocksAfterASyncByte) {
  TransmitWindow w;
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(w.queue(message(i, 59)));
  std::vector<uint8_t> first;
  w.poll(kStart, first);
  ASSERT_EQ(blocks_in(first).size(), 3u);
  // Block 1 arrived, block 2 was lost: ack 2, then a duplicate ack 2 (the nak for block 3).
  std::vector<uint8_t> ack;
  (void)append_block(ack, 2, {});
  const auto a = blocks_in(ack)[0];
  EXPECT_FALSE(w.on_block(a, kStart + kMs).nak);
  EXPECT_TRUE(w.on_block(a, kStart + 2 * kMs).nak);
  EXPECT_EQ(w.next_deadline_ns(), kStart + 2 * kMs);
  std::vector<uint8_t> again;
  w.poll(kStart + 2 * kMs, again);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again[0], kSync);
  const auto resent = blocks_in(again);
  ASSERT_EQ(resent.size(), 2u);
  EXPECT_EQ(resent[0].sequence(), 2);
  EXPECT_EQ(resent[1].sequence(), 3);
  EXPECT_EQ(w.stats().fast_retransmits, 1u);
  // A further nak for the blocks just resent is ignored.
  EXPECT_FALSE(w.on_block(a, kStart + 3 * kMs).nak);
  EXPECT_EQ(w.rto_ns(), kMinRtoNs);  // a nak does not back off
}

TEST(TransmitWindow, TimeoutRetransmitsAndDoublesTheRtoUpToFiveSeconds) {
  TransmitWindow w;
  ASSERT_TRUE(w.queue(message(1)));
  std::vector<uint8_t> out;
  w.poll(kStart, out);
  EXPECT_EQ(w.next_deadline_ns(), kStart + kMinRtoNs);
  int64_t expected_rto = kMinRtoNs;
  for (int i = 0; i < 12; ++i) {
    const int64_t at = w.next_deadline_ns();
    out.clear();
    w.poll(at - 1, out);
    EXPECT_TRUE(out.empty()) << "retransmitted before the timeout";
    w.poll(at, out);
    ASSERT_EQ(blocks_in(out).size(), 1u);
    expected_rto = std::min(expected_rto * 2, kMaxRtoNs);
    EXPECT_EQ(w.rto_ns(), expected_rto);
    EXPECT_EQ(w.next_deadline_ns(), at + expected_rto);
  }
  EXPECT_EQ(w.rto_ns(), kMaxRtoNs);
  EXPECT_EQ(w.stats().timeouts, 12u);
}

TEST(TransmitWindow, RoundTripEstimateFollowsRfc6298) {
  TransmitWindow w;
  MiniMcu mcu;
  int64_t now = kStart;
  // Round trips of 4 ms: the first sample sets srtt = 40 ms, rttvar = 2 ms, RTO = 48 ms.
  ASSERT_TRUE(w.queue(message(0)));
  std::vector<uint8_t> out;
  w.poll(now, out);
  feed_host(w, mcu.receive(out), now + 4 * kMs);
  EXPECT_DOUBLE_EQ(w.srtt_ns(), 40.0 * kMs);
  EXPECT_EQ(w.rto_ns(), 48 * kMs);
  // Then srtt decays towards 4 ms and the RTO reaches its 25 ms floor.
  for (uint32_t i = 1; i < 60; ++i) {
    now += 10 * kMs;
    ASSERT_TRUE(w.queue(message(i)));
    out.clear();
    w.poll(now, out);
    feed_host(w, mcu.receive(out), now + 4 * kMs);
  }
  EXPECT_NEAR(w.srtt_ns(), 4.0 * kMs, 0.1 * kMs);
  EXPECT_EQ(w.rto_ns(), kMinRtoNs);
}

TEST(TransmitWindow, ByteTimeCountsTowardsTheSendTime) {
  TransmitWindow w(/*byte_time_ns=*/40'000);  // 250000 baud: 10 bits per byte
  ASSERT_TRUE(w.queue(message(0)));
  std::vector<uint8_t> out;
  w.poll(kStart, out);
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(w.next_deadline_ns(), kStart + 7 * 40'000 + kMinRtoNs);
}

TEST(TransmitWindow, AdoptsTheMcuSequenceAtFirstContact) {
  TransmitWindow w;
  std::vector<uint8_t> ack;
  (void)append_block(ack, 9, {});  // a board that has talked to another host before expects 9
  feed_host(w, ack, kStart);
  EXPECT_EQ(w.send_sequence(), 9u);
  ASSERT_TRUE(w.queue(message(0)));
  std::vector<uint8_t> out;
  w.poll(kStart, out);
  EXPECT_EQ(blocks_in(out)[0].sequence(), 9);
}

TEST(TransmitWindow, IgnoresAnAcknowledgementOfBlocksNeverSent) {
  TransmitWindow w;
  MiniMcu mcu;
  ASSERT_TRUE(w.queue(message(0)));
  std::vector<uint8_t> out;
  w.poll(kStart, out);
  feed_host(w, mcu.receive(out), kStart + kMs);
  ASSERT_EQ(w.receive_sequence(), 2u);
  std::vector<uint8_t> bogus;
  (void)append_block(bogus, 7, {});
  const auto r = w.on_block(blocks_in(bogus)[0], kStart + 2 * kMs);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(w.receive_sequence(), 2u);
  EXPECT_EQ(w.stats().invalid_blocks, 1u);
}

TEST(TransmitWindow, ResponsesCarryTheSendTimeOfTheBlockTheyAnswer) {
  TransmitWindow w;
  ASSERT_TRUE(w.queue(message(0)));
  std::vector<uint8_t> out;
  w.poll(kStart + 5 * kMs, out);
  std::vector<uint8_t> response;
  (void)append_block(response, 2, std::vector<uint8_t>{0x51, 0x01});
  const auto r = w.on_block(blocks_in(response)[0], kStart + 7 * kMs);
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.sent_time_ns, kStart + 5 * kMs);
}

// Messages cross a link that drops and corrupts blocks both ways; every message reaches the MCU exactly
// once, in order, and the window drains.
TEST(TransmitWindow, DeliversEveryMessageOnceInOrderOverALossyLink) {
  struct InFlight {
    int64_t at;
    std::vector<uint8_t> bytes;
  };
  std::mt19937 rng(2126);
  std::uniform_real_distribution<double> u(0, 1);
  const auto damage = [&](std::vector<uint8_t> bytes) -> std::optional<std::vector<uint8_t>> {
    if (u(rng) < 0.10) return std::nullopt;                              // lost
    if (u(rng) < 0.10 && !bytes.empty()) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);  // corrupted
    return bytes;
  };
  TransmitWindow w(/*byte_time_ns=*/40'000);
  MiniMcu mcu;
  std::deque<InFlight> to_mcu, to_host;
  constexpr uint32_t kMessages = 3000;
  uint32_t queued = 0;
  int64_t now = kStart;
  for (int step = 0; step < 2'000'000 && (mcu.payloads.size() < 1 || w.pending_blocks() + w.queued_messages() > 0 ||
                                          queued < kMessages);
       ++step) {
    now += 100'000;  // 0.1 ms per step
    if (queued < kMessages && w.queued_messages() < 50) {
      ASSERT_TRUE(w.queue(message(queued, 2 + queued % 9)));
      ++queued;
    }
    std::vector<uint8_t> out;
    w.poll(now, out);
    if (!out.empty()) {
      if (auto d = damage(out)) to_mcu.push_back({now + 2 * kMs, *d});
    }
    while (!to_mcu.empty() && to_mcu.front().at <= now) {
      auto reply = mcu.receive(to_mcu.front().bytes);
      to_mcu.pop_front();
      if (!reply.empty()) {
        if (auto d = damage(reply)) to_host.push_back({now + 2 * kMs, *d});
      }
    }
    while (!to_host.empty() && to_host.front().at <= now) {
      feed_host(w, to_host.front().bytes, now);
      to_host.pop_front();
    }
  }
  // Decode what the MCU took: message n is 0x05, vlq(n), zero padding.
  std::vector<uint32_t> got;
  for (const auto& p : mcu.payloads) {
    std::size_t pos = 0;
    while (pos < p.size()) {
      ASSERT_EQ(p[pos++], 0x05);
      const auto n = read_vlq(p, pos);
      ASSERT_TRUE(n.has_value());
      got.push_back(*n);
      pos += static_cast<std::size_t>(std::max<int64_t>(0, int64_t{2 + *n % 9} - 1 - static_cast<int64_t>(vlq_size(*n))));
    }
  }
  ASSERT_EQ(got.size(), kMessages);
  for (uint32_t i = 0; i < kMessages; ++i) ASSERT_EQ(got[i], i);
  EXPECT_GT(w.stats().retransmits, 0u);
  EXPECT_GT(w.stats().timeouts, 0u);
  EXPECT_GT(w.stats().fast_retransmits, 0u);
  EXPECT_EQ(w.pending_blocks(), 0u);
}

}  // namespace
}  // namespace rtstep::mcu
