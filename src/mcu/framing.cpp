// Klipper's message blocks: CRC, VLQ integers, block building and the resynchronising block check
// (framing.hpp). Written from the protocol's description (Klipper docs/Protocol.md) and its documented
// constants.

#include "mcu/framing.hpp"

#include <algorithm>
#include <cstring>

namespace rtstep::mcu {

// Reflected CCITT CRC, one byte at a time without a table: the byte is folded into the low half of the
// register and the polynomial's three taps (x^12, x^5, x^0 mirrored) applied through shifts of it.
uint16_t crc16(std::span<const uint8_t> bytes) noexcept {
  uint16_t crc = 0xFFFF;
  for (const uint8_t b : bytes) {
    auto d = static_cast<uint8_t>(b ^ (crc & 0xFF));
    d = static_cast<uint8_t>(d ^ (d << 4));
    crc = static_cast<uint16_t>(((uint16_t{d} << 8) | (crc >> 8)) ^ (d >> 4) ^ (uint16_t{d} << 3));
  }
  return crc;
}

// The VLQ length depends on the value read as a signed 32-bit number: each extra byte adds 7 bits, and the
// first byte carries 5 value bits plus a sign (bits 0x60), hence the asymmetric ranges -32..95 and so on.
std::size_t vlq_size(uint32_t value) noexcept {
  const auto v = static_cast<int64_t>(static_cast<int32_t>(value));
  if (v >= -(int64_t{1} << 5) && v < (int64_t{3} << 5)) return 1;
  if (v >= -(int64_t{1} << 12) && v < (int64_t{3} << 12)) return 2;
  if (v >= -(int64_t{1} << 19) && v < (int64_t{3} << 19)) return 3;
  if (v >= -(int64_t{1} << 26) && v < (int64_t{3} << 26)) return 4;
  return 5;
}

void append_vlq(std::vector<uint8_t>& out, uint32_t value) {
  const std::size_t n = vlq_size(value);
  for (std::size_t i = n; i-- > 1;) {
    out.push_back(static_cast<uint8_t>(((value >> (7 * i)) & 0x7F) | 0x80));
  }
  out.push_back(static_cast<uint8_t>(value & 0x7F));
}

std::optional<uint32_t> read_vlq(std::span<const uint8_t> bytes, std::size_t& pos) noexcept {
  std::size_t p = pos;
  if (p >= bytes.size()) return std::nullopt;
  uint8_t c = bytes[p++];
  uint32_t v = c & 0x7Fu;
  if ((c & 0x60) == 0x60) v |= ~uint32_t{0x1F};  // sign-extend the first group's 5 value bits
  for (std::size_t n = 1; c & 0x80; ++n) {
    if (n == kVlqMax || p >= bytes.size()) return std::nullopt;
    c = bytes[p++];
    v = (v << 7) | (c & 0x7Fu);
  }
  pos = p;
  return v;
}

bool append_block(std::vector<uint8_t>& out, uint8_t sequence, std::span<const uint8_t> payload) {
  if (payload.size() > kPayloadMax) return false;
  const std::size_t start = out.size();
  out.push_back(static_cast<uint8_t>(payload.size() + kBlockMin));
  out.push_back(static_cast<uint8_t>(kSeqDest | (sequence & kSeqMask)));
  out.insert(out.end(), payload.begin(), payload.end());
  const uint16_t crc = crc16(std::span<const uint8_t>(out).subspan(start));
  out.push_back(static_cast<uint8_t>(crc >> 8));
  out.push_back(static_cast<uint8_t>(crc & 0xFF));
  out.push_back(kSync);
  return true;
}

namespace {

// Everything up to and including the first sync byte is dropped; with none, all of it, and the stream
// stays out of sync until one arrives.
CheckResult discard_to_sync(std::span<const uint8_t> bytes, bool& need_sync) noexcept {
  const auto it = std::find(bytes.begin(), bytes.end(), kSync);
  if (it == bytes.end()) {
    need_sync = true;
    return {BlockCheck::kDiscard, bytes.size()};
  }
  need_sync = false;
  return {BlockCheck::kDiscard, static_cast<std::size_t>(it - bytes.begin()) + 1};
}

}  // namespace

CheckResult check_block(std::span<const uint8_t> bytes, bool& need_sync) noexcept {
  if (bytes.size() < kBlockMin) return {BlockCheck::kNeedMore, 0};
  if (need_sync) return discard_to_sync(bytes, need_sync);
  const std::size_t len = bytes[0];
  if (len < kBlockMin || len > kBlockMax) return discard_to_sync(bytes, need_sync);
  if ((bytes[1] & ~kSeqMask) != kSeqDest) return discard_to_sync(bytes, need_sync);
  if (bytes.size() < len) return {BlockCheck::kNeedMore, 0};
  if (bytes[len - 1] != kSync) return discard_to_sync(bytes, need_sync);
  const auto sent_crc = static_cast<uint16_t>((bytes[len - 3] << 8) | bytes[len - 2]);
  if (crc16(bytes.first(len - kBlockTrailer)) != sent_crc) return discard_to_sync(bytes, need_sync);
  return {BlockCheck::kBlock, len};
}

std::size_t BlockParser::feed(std::span<const uint8_t> bytes) noexcept {
  const std::size_t n = std::min(bytes.size(), kBufferSize - size_);
  if (n == 0) return 0;  // an empty span may have no data pointer at all
  std::memcpy(buffer_.data() + size_, bytes.data(), n);
  size_ += n;
  return n;
}

std::optional<Block> BlockParser::next() noexcept {
  for (;;) {
    const bool in_sync = !need_sync_ && size_ > 0 && buffer_[0] != kSync;
    const CheckResult r = check_block(std::span<const uint8_t>(buffer_.data(), size_), need_sync_);
    switch (r.check) {
      case BlockCheck::kNeedMore:
        return std::nullopt;
      case BlockCheck::kBlock: {
        Block block;
        std::memcpy(block.bytes.data(), buffer_.data(), r.length);
        block.length = static_cast<uint8_t>(r.length);
        consume(r.length);
        ++blocks_;
        return block;
      }
      case BlockCheck::kDiscard:
        invalid_bytes_ += r.length;
        errors_ += in_sync ? 1 : 0;
        consume(r.length);
        break;
    }
  }
}

void BlockParser::consume(std::size_t n) noexcept {
  std::memmove(buffer_.data(), buffer_.data() + n, size_ - n);
  size_ -= n;
}

}  // namespace rtstep::mcu
