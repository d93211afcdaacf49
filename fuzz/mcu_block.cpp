// Fuzz target: the MCU link's receive path (src/mcu): mcu::BlockParser over a byte stream delivered in
// fuzzer-chosen pieces, and the blocks it yields fed to a mcu::TransmitWindow.
//
// Invariants:
// - every block yielded is one: length 5..64, seq high nibble 0x10, sync last, CRC matching, and
//   append_block() of its sequence and payload rebuilds it byte for byte;
// - the parser is exactly Klipper's resynchronising check, whatever the chunking: a one-shot model over
//   the whole stream (a dozen lines below) yields the same blocks, discards the same bytes and counts
//   the same errors (at the stream's end, a few bytes the model dropped may still wait in the parser);
// - feed() takes at least one byte whenever the parser's buffer has room, so a caller never spins;
// - the window never holds more than 12 unacknowledged blocks, its output parses back into valid blocks
//   only (a retransmission adds one leading sync byte), its deadline is never in the past after poll(),
//   and its RTO stays within [25 ms, 5 s].

#include <cstddef>
#include <cstdint>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_util.hpp"
#include "mcu/framing.hpp"
#include "mcu/transmit.hpp"

namespace {

namespace mcu = rtstep::mcu;

struct ModelResult {
  std::vector<std::vector<uint8_t>> blocks;
  uint64_t invalid = 0, errors = 0;
  std::size_t left = 0;
};

// Klipper's check applied to the whole stream at once: a block needs 5 bytes to be judged and its
// length to be complete; anything bad drops bytes through the first 0x7E (all of them if there is none,
// and then nothing is a block until a 0x7E arrives).
ModelResult model(const std::vector<uint8_t>& s) {
  ModelResult r;
  std::size_t pos = 0;
  bool need_sync = false;
  while (s.size() - pos >= mcu::kBlockMin) {
    const uint8_t* b = s.data() + pos;
    const std::size_t avail = s.size() - pos;
    const std::size_t len = b[0];
    bool good = !need_sync && len >= 5 && len <= 64 && (b[1] & 0xF0) == 0x10;
    if (good && avail < len) break;
    good = good && b[len - 1] == 0x7E && mcu::crc16({b, len - 3}) == ((b[len - 3] << 8) | b[len - 2]);
    if (good) {
      r.blocks.emplace_back(b, b + len);
      pos += len;
      continue;
    }
    if (!need_sync && b[0] != 0x7E) ++r.errors;
    std::size_t drop = 0;
    while (drop < avail && b[drop] != 0x7E) ++drop;
    need_sync = drop == avail;
    drop = need_sync ? avail : drop + 1;
    r.invalid += drop;
    pos += drop;
  }
  r.left = s.size() - pos;
  return r;
}

void check_output(const std::vector<uint8_t>& out) {
  if (out.empty()) return;
  mcu::BlockParser p;
  std::span<const uint8_t> rest(out);
  while (!rest.empty()) {
    rest = rest.subspan(p.feed(rest));
    while (p.next()) {
    }
  }
  FUZZ_CHECK(p.buffered() == 0, "window output ends in a partial block");
  FUZZ_CHECK(p.invalid_bytes() == (out[0] == 0x7E ? 1u : 0u), "window output holds bytes that are not blocks");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto chunking = in.ConsumeIntegral<uint32_t>();
  const std::vector<uint8_t> stream = in.ConsumeRemainingBytes<uint8_t>();
  const ModelResult expected = model(stream);

  mcu::BlockParser parser;
  mcu::TransmitWindow window((chunking & 0x80000000u) != 0 ? 40'000 : 0);  // 250000 baud, or USB
  if ((chunking & 0x40000000u) != 0) window.set_receive_window(192);
  int64_t now = 1'000'000'000;
  std::size_t pos = 0, nblock = 0;
  uint32_t chunk_state = chunking | 1;
  std::vector<uint8_t> out;
  while (pos < stream.size()) {
    chunk_state = chunk_state * 1103515245u + 12345u;  // chunk sizes 1..128 from the fuzzer's seed
    const std::size_t want = std::min<std::size_t>(stream.size() - pos, 1 + (chunk_state >> 16) % 128);
    const std::size_t took = parser.feed({stream.data() + pos, want});
    FUZZ_CHECK(took > 0 || parser.buffered() == mcu::BlockParser::kBufferSize, "feed took nothing with room left");
    pos += took;
    while (const auto block = parser.next()) {
      const std::size_t len = block->length;
      FUZZ_CHECK(len >= 5 && len <= 64 && block->payload().size() == len - 5, "block length");
      FUZZ_CHECK(nblock < expected.blocks.size(), "more blocks than the model");
      const std::vector<uint8_t> got(block->bytes.begin(), block->bytes.begin() + static_cast<std::ptrdiff_t>(len));
      FUZZ_CHECK(got == expected.blocks[nblock], "block " + std::to_string(nblock) + " differs from the model");
      std::vector<uint8_t> rebuilt;
      FUZZ_CHECK(mcu::append_block(rebuilt, block->sequence(), block->payload()) && rebuilt == got, "block does not rebuild");
      ++nblock;
      // The window: each block is the MCU's answer; its payload, if any, goes back out as a message.
      now += 1 + (chunk_state >> 8) % 50'000'000;
      (void)window.on_block(*block, now);
      if (!block->payload().empty()) (void)window.queue(block->payload(), block->bytes[2]);
      out.clear();
      window.poll(now, out);
      check_output(out);
      FUZZ_CHECK(window.pending_blocks() <= mcu::kMaxPendingBlocks, "more than 12 blocks pending");
      FUZZ_CHECK(window.next_deadline_ns() > now, "deadline in the past after poll");
      FUZZ_CHECK(window.rto_ns() >= mcu::kMinRtoNs && window.rto_ns() <= mcu::kMaxRtoNs, "RTO out of range");
    }
  }
  FUZZ_CHECK(nblock == expected.blocks.size(), "fewer blocks than the model");
  // Out of sync, a parser fed in pieces waits for 5 bytes before it drops any, so at the end of the stream
  // up to 4 bytes the one-shot model dropped may still be waiting: only the sum is the same.
  FUZZ_CHECK(parser.invalid_bytes() + parser.buffered() == expected.invalid + expected.left,
             "discarded and waiting bytes differ from the model");
  FUZZ_CHECK(parser.buffered() < mcu::kBlockMax, "a whole block's worth of bytes left waiting");
  FUZZ_CHECK(parser.errors() == expected.errors, "error count differs from the model");
  return 0;
}
