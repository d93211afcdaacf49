#pragma once
// TransmitWindow: the host's side of Klipper's reliable block transport, as a pure state machine driven by
// the caller's clock (Klipper klippy/chelper/serialqueue.c is the behaviour it follows).
//
// - Messages (encoded commands) wait in a queue ordered by the MCU clock they are needed by (`req_clock`;
//   equal clocks keep their order) and are packed into blocks of at most 59 payload bytes.
// - At most kMaxPendingBlocks (12) blocks are unacknowledged at a time; sequence numbers count up without
//   bound here and go out modulo 16.
// - A received block's sequence is the next block the MCU expects: it acknowledges every block before it.
//   An empty block that does not advance the sequence is a nak: all pending blocks are sent again at once,
//   prefixed by a sync byte (once per retransmission: further naks for the same blocks are ignored).
// - Without an acknowledgement for the retransmission timeout (RTO), all pending blocks are sent again and
//   the RTO doubles (up to kMaxRtoNs). The RTO follows RFC 6298 from round-trip samples (one block in
//   flight at a time is timed, never a retransmitted one): srtt, rttvar, RTO = srtt + max(4 rttvar, 1 ms),
//   kept within [kMinRtoNs, kMaxRtoNs]; the first sample sets srtt to ten times the round trip, as Klipper
//   does, to stay cautious until the link is known.
// - An MCU that exports RECEIVE_WINDOW (bytes its input buffer holds) is not sent more unacknowledged bytes
//   than that (counting a full block for the next one, and the last acknowledged block while the MCU has
//   only answered it with a response, which it may still be processing).
//
// Times are the caller's, in ns (CLOCK_MONOTONIC or a virtual clock in tests), and positive: 0 stands for
// "unknown" in ReceiveResult. Not thread-safe: one owner (the MCU link's thread); non-real-time (it
// allocates).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "mcu/framing.hpp"

namespace rtstep::mcu {

inline constexpr int64_t kMinRtoNs = 25'000'000;     // 0.025 s
inline constexpr int64_t kMaxRtoNs = 5'000'000'000;  // 5 s
inline constexpr std::size_t kMaxPendingBlocks = 12;
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// What a received block meant to the window.
struct ReceiveResult {
  bool valid = true;          // false: it acknowledged a block never sent (ignored, counted)
  bool nak = false;           // an empty block that did not advance the sequence (a retransmission follows)
  int64_t sent_time_ns = 0;   // when the block this one answers was sent (0: unknown, or retransmitted);
                              // with the receive time it bounds when the MCU produced the response
};

struct TransmitStats {
  uint64_t blocks_sent = 0, bytes_sent = 0;
  uint64_t retransmits = 0, retransmit_bytes = 0, timeouts = 0, fast_retransmits = 0;
  uint64_t invalid_blocks = 0;
};

class TransmitWindow {
 public:
  // `byte_time_ns`: time one byte takes on the wire (10 bits per byte at the baud rate; 0 for USB), added
  // to the send time of each block so the round trip does not count the sender's own queueing.
  explicit TransmitWindow(int64_t byte_time_ns = 0) : byte_time_ns_(byte_time_ns) {}

  // Queues one encoded message (1..kPayloadMax bytes; false and nothing queued otherwise). Messages with a
  // lower `req_clock` leave first; equal ones in the order queued.
  [[nodiscard]] bool queue(std::span<const uint8_t> message, uint64_t req_clock = 0);

  // A verified block from the MCU, received at `now_ns`.
  ReceiveResult on_block(const Block& block, int64_t now_ns);

  // The MCU's RECEIVE_WINDOW constant, in bytes (0: none exported, only the 12-block window applies).
  void set_receive_window(std::size_t bytes) noexcept { receive_window_ = bytes; }

  // Appends to `out` what should go on the wire at `now_ns`: a retransmission when one is due, then new
  // blocks while the window has room. Returns true when a retransmission starts what it appended: the
  // caller may first drop output still queued in the port (SerialPort::flush_output), as Klipper's host
  // does, since all of it is being sent again.
  bool poll(int64_t now_ns, std::vector<uint8_t>& out);

  // The next time poll() has work that depends on time alone (a retransmission), or kNever. Queued
  // messages and received blocks also create work: call poll() after queue() and on_block().
  int64_t next_deadline_ns() const noexcept { return retransmit_at_ns_; }

  std::size_t pending_blocks() const noexcept { return sent_.size(); }
  std::size_t queued_messages() const noexcept { return queue_.size(); }
  uint64_t send_sequence() const noexcept { return send_seq_; }     // the next block's sequence
  uint64_t receive_sequence() const noexcept { return receive_seq_; }  // the MCU's next expected sequence
  int64_t rto_ns() const noexcept { return rto_ns_; }
  double srtt_ns() const noexcept { return srtt_ns_; }
  const TransmitStats& stats() const noexcept { return stats_; }

 private:
  struct SentBlock {
    std::vector<uint8_t> bytes;
    int64_t sent_ns;  // when its last byte is expected to have left
  };

  void acknowledge(uint64_t rseq, int64_t now_ns);
  void update_rtt(int64_t now_ns);
  void retransmit(int64_t now_ns, std::vector<uint8_t>& out);
  bool send_block(int64_t now_ns, std::vector<uint8_t>& out);
  bool window_open() const noexcept;

  int64_t byte_time_ns_;
  std::map<std::pair<uint64_t, uint64_t>, std::vector<uint8_t>> queue_;  // (req_clock, order) -> message
  uint64_t queue_order_ = 0;
  std::deque<SentBlock> sent_;
  uint64_t send_seq_ = 1, receive_seq_ = 1;
  uint64_t last_ack_seq_ = 0, ignore_nak_seq_ = 0, retransmit_seq_ = 0, rtt_sample_seq_ = 0;
  int64_t last_acked_sent_ns_ = 0;
  std::size_t receive_window_ = 0, need_ack_bytes_ = 0, last_ack_bytes_ = 0;
  double srtt_ns_ = 0, rttvar_ns_ = 0;
  int64_t rto_ns_ = kMinRtoNs;
  int64_t retransmit_at_ns_ = kNever;
  bool nak_pending_ = false;
  TransmitStats stats_;
};

}  // namespace rtstep::mcu
