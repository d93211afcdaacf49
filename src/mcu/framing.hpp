#pragma once
// Klipper's MCU wire format, the layer below messages (Klipper docs/Protocol.md, "Message Blocks"):
//
//   block   = <len:1> <seq:1> <payload: len-5 bytes> <crc16: 2, high byte first> <sync 0x7E>
//   len     counts the whole block, 5..64; seq = 0x10 | (sequence & 0x0F); the CRC covers len, seq
//           and the payload.
//   payload = messages, each <VLQ id> <VLQ or string parameters>; a string is <len:1><bytes>.
//   An empty block (len 5) is an acknowledgement; its seq is the next sequence the sender expects.
//
// The CRC is Klipper's "crc16_ccitt": the reflected CCITT polynomial 0x8408, initial value 0xFFFF, no final
// XOR (CRC-16/MCRF4XX, check value 0x6F91 for "123456789"). Integers are Klipper's VLQ: 7 bits per byte,
// most significant group first, 0x80 marks a following byte, and a first byte with bits 0x60 set
// sign-extends; a 32-bit value takes 1 to 5 bytes.
//
// Everything here is non-real-time (it runs on the MCU link's own thread). Nothing allocates but the
// append_* functions, which grow the caller's vector; BlockParser's buffer is a fixed array. No function
// keeps state between calls except BlockParser.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rtstep::mcu {

inline constexpr std::size_t kBlockMin = 5;                                  // an empty block (ack/nak)
inline constexpr std::size_t kBlockMax = 64;                                 // bytes, the whole block
inline constexpr std::size_t kBlockHeader = 2;                               // len, seq
inline constexpr std::size_t kBlockTrailer = 3;                              // crc high, crc low, sync
inline constexpr std::size_t kPayloadMax = kBlockMax - kBlockMin;            // 59 bytes of messages
inline constexpr uint8_t kSync = 0x7E;
inline constexpr uint8_t kSeqDest = 0x10;  // the high nibble every seq byte carries
inline constexpr uint8_t kSeqMask = 0x0F;
inline constexpr std::size_t kVlqMax = 5;  // bytes of one encoded 32-bit integer at most

// Klipper's CRC-16 of `bytes` (see above).
uint16_t crc16(std::span<const uint8_t> bytes) noexcept;

// Appends `value` (a 32-bit quantity, signed or unsigned: it is sent modulo 2^32) in the shortest VLQ form,
// as the MCU's encoder does: -32..95 take one byte, and 0xFFFFFFFF is -1, one byte.
void append_vlq(std::vector<uint8_t>& out, uint32_t value);
// Number of bytes append_vlq writes for `value`.
std::size_t vlq_size(uint32_t value) noexcept;

// Reads one VLQ at `pos` and advances `pos` past it. nullopt when the input ends inside it or it would
// take more than kVlqMax bytes; `pos` is then unchanged. The value is the low 32 bits (two's complement
// for negative numbers).
std::optional<uint32_t> read_vlq(std::span<const uint8_t> bytes, std::size_t& pos) noexcept;

// One received, verified block.
struct Block {
  std::array<uint8_t, kBlockMax> bytes{};  // the whole block as received
  uint8_t length = 0;                      // kBlockMin..kBlockMax

  uint8_t sequence() const noexcept { return bytes[1] & kSeqMask; }
  bool empty() const noexcept { return length == kBlockMin; }  // an ack or a nak
  std::span<const uint8_t> payload() const noexcept {
    return std::span<const uint8_t>(bytes).subspan(kBlockHeader, length - kBlockMin);
  }
};

// Builds a block around `payload` (at most kPayloadMax bytes: false otherwise, `out` untouched) with
// sequence `sequence` (only its low 4 bits are sent) and appends it to `out`.
bool append_block(std::vector<uint8_t>& out, uint8_t sequence, std::span<const uint8_t> payload);

// Result of checking the start of a buffer for a block, as Klipper's host and MCU do.
enum class BlockCheck : uint8_t {
  kNeedMore,  // a block may start here: wait for more bytes
  kBlock,     // a valid block of `length` bytes starts here
  kDiscard,   // `length` bytes are not a block: drop them (up to and including the next sync byte)
};
struct CheckResult {
  BlockCheck check;
  std::size_t length;
};
// Checks `bytes`, which start at the parser's current position. `need_sync` is the parser's state: after
// garbage, nothing is a block until a sync byte has been seen (that byte ends every block, so the next
// block starts right after it). Updates `need_sync`.
CheckResult check_block(std::span<const uint8_t> bytes, bool& need_sync) noexcept;

// Splits a byte stream into verified blocks. Bad length, bad seq high bits, missing sync or a bad CRC
// discard input up to and including the next 0x7E, which resynchronises on the next block boundary; a
// caller that is the receiving end of a link answers each discard with a nak. Not thread-safe: one reader.
class BlockParser {
 public:
  BlockParser() = default;

  // Takes as many of `bytes` as the buffer has room for (kBufferSize, several blocks) and returns how many
  // it took; the caller drains next() and feeds the rest. Nothing is ever dropped.
  [[nodiscard]] std::size_t feed(std::span<const uint8_t> bytes) noexcept;
  // The next complete, verified block, or nullopt when the buffered bytes hold none yet.
  std::optional<Block> next() noexcept;

  uint64_t blocks() const noexcept { return blocks_; }
  uint64_t invalid_bytes() const noexcept { return invalid_bytes_; }  // discarded while resynchronising
  // Corrupt blocks seen while in sync (a leading sync byte and the garbage after the first error are not
  // counted again): the receiving end of a link answers each with one nak, as Klipper's MCU does.
  uint64_t errors() const noexcept { return errors_; }
  std::size_t buffered() const noexcept { return size_; }

  static constexpr std::size_t kBufferSize = 4 * kBlockMax;

 private:
  void consume(std::size_t n) noexcept;

  std::array<uint8_t, kBufferSize> buffer_{};
  std::size_t size_ = 0;
  bool need_sync_ = false;
  uint64_t blocks_ = 0, invalid_bytes_ = 0, errors_ = 0;
};

}  // namespace rtstep::mcu
