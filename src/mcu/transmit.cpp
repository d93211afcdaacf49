// TransmitWindow (transmit.hpp): Klipper's block window, acknowledgements, naks and retransmission, with the
// RTO estimate of RFC 6298 as Klipper's host computes it.

#include "mcu/transmit.hpp"

#include <algorithm>
#include <cmath>

namespace rtstep::mcu {

bool TransmitWindow::queue(std::span<const uint8_t> message, uint64_t req_clock) {
  if (message.empty() || message.size() > kPayloadMax) return false;
  queue_.emplace(std::make_pair(req_clock, queue_order_++), std::vector<uint8_t>(message.begin(), message.end()));
  return true;
}

ReceiveResult TransmitWindow::on_block(const Block& block, int64_t now_ns) {
  ReceiveResult result;
  // The 4-bit sequence names the MCU's next expected block: take the nearest one at or after ours.
  const uint64_t rseq = receive_seq_ + ((block.sequence() - receive_seq_) & kSeqMask);
  if (rseq != receive_seq_) {
    // Acknowledging a block never sent is corrupt or stale input, except at the first contact, when the
    // MCU's sequence is still unknown (it may expect any).
    if (rseq > send_seq_ && receive_seq_ != 1) {
      ++stats_.invalid_blocks;
      result.valid = false;
      return result;
    }
    acknowledge(rseq, now_ns);
  }
  if (block.empty()) {
    if (last_ack_seq_ < rseq) {
      last_ack_seq_ = rseq;
    } else if (rseq > ignore_nak_seq_ && !sent_.empty()) {
      // The same acknowledgement twice is a nak: the MCU dropped the block after it.
      nak_pending_ = true;
      retransmit_at_ns_ = now_ns;
      result.nak = true;
    }
  } else {
    // A response answers the last block acknowledged; its send time is meaningless if that block may have
    // been a retransmission.
    result.sent_time_ns = rseq > retransmit_seq_ ? last_acked_sent_ns_ : 0;
  }
  return result;
}

// Drops the blocks up to `rseq` from the window and re-arms the retransmission timer.
void TransmitWindow::acknowledge(uint64_t rseq, int64_t now_ns) {
  uint64_t sent_seq = receive_seq_;
  for (;;) {
    if (sent_.empty()) {
      // An acknowledgement of blocks this side never sent: the first contact; adopt the MCU's sequence.
      send_seq_ = rseq;
      last_acked_sent_ns_ = 0;
      break;
    }
    const int64_t sent_ns = sent_.front().sent_ns;
    const std::size_t length = sent_.front().bytes.size();
    need_ack_bytes_ -= length;
    sent_.pop_front();
    if (rseq == ++sent_seq) {
      last_acked_sent_ns_ = sent_ns;
      last_ack_bytes_ = length;
      break;
    }
  }
  receive_seq_ = rseq;
  update_rtt(now_ns);
  nak_pending_ = false;
  retransmit_at_ns_ =
      sent_.empty() ? kNever : now_ns + rto_ns_ + byte_time_ns_ * static_cast<int64_t>(sent_.front().bytes.size());
}

// RFC 6298, on the block being timed once it is acknowledged.
void TransmitWindow::update_rtt(int64_t now_ns) {
  if (rtt_sample_seq_ == 0 || receive_seq_ <= rtt_sample_seq_ || last_acked_sent_ns_ == 0) return;
  const double delta = static_cast<double>(now_ns - last_acked_sent_ns_);
  if (srtt_ns_ == 0) {
    rttvar_ns_ = delta / 2;
    srtt_ns_ = delta * 10;  // cautious start, as Klipper's host
  } else {
    rttvar_ns_ = (3 * rttvar_ns_ + std::fabs(srtt_ns_ - delta)) / 4;
    srtt_ns_ = (7 * srtt_ns_ + delta) / 8;
  }
  const double rto = srtt_ns_ + std::max(4 * rttvar_ns_, 1e6);
  rto_ns_ = std::clamp(static_cast<int64_t>(std::min(rto, 1e18)), kMinRtoNs, kMaxRtoNs);
  rtt_sample_seq_ = 0;
}

bool TransmitWindow::poll(int64_t now_ns, std::vector<uint8_t>& out) {
  const std::size_t start = out.size();
  const bool resend = retransmit_at_ns_ <= now_ns && !sent_.empty();
  if (resend) retransmit(now_ns, out);
  while (!queue_.empty() && window_open()) {
    const int64_t queued_ns = byte_time_ns_ * static_cast<int64_t>(out.size() - start);
    if (!send_block(now_ns + queued_ns, out)) break;
  }
  return resend;
}

// Room for one more block: fewer than 12 pending, and within the MCU's receive buffer if it has said.
bool TransmitWindow::window_open() const noexcept {
  if (send_seq_ - receive_seq_ >= kMaxPendingBlocks) return false;
  if (receive_window_ == 0 || sent_.empty()) return true;
  std::size_t bytes = need_ack_bytes_ + kBlockMax;
  if (last_ack_seq_ < receive_seq_) bytes += last_ack_bytes_;  // acknowledged by a response only
  return bytes <= receive_window_;
}

// Sends every pending block again, after one sync byte that ends whatever partial block the MCU holds.
void TransmitWindow::retransmit(int64_t now_ns, std::vector<uint8_t>& out) {
  const std::size_t start = out.size();
  out.push_back(kSync);
  for (const SentBlock& b : sent_) out.insert(out.end(), b.bytes.begin(), b.bytes.end());
  ++stats_.retransmits;
  stats_.retransmit_bytes += out.size() - start;
  if (nak_pending_) {
    // Ignore naks for what was just resent; a second nak during this retransmission is honoured, a third not.
    ++stats_.fast_retransmits;
    ignore_nak_seq_ = receive_seq_ < retransmit_seq_ ? retransmit_seq_ : receive_seq_;
  } else {
    ++stats_.timeouts;
    rto_ns_ = std::min(rto_ns_ * 2, kMaxRtoNs);
    ignore_nak_seq_ = send_seq_;
  }
  nak_pending_ = false;
  retransmit_seq_ = send_seq_;
  rtt_sample_seq_ = 0;  // a round trip over a retransmission says nothing
  retransmit_at_ns_ = now_ns + rto_ns_ + byte_time_ns_ * static_cast<int64_t>(sent_.front().bytes.size() + 1);
}

// Packs the queue's first messages (lowest req_clock first) into one block.
bool TransmitWindow::send_block(int64_t now_ns, std::vector<uint8_t>& out) {
  std::vector<uint8_t> payload;
  while (!queue_.empty() && payload.size() + queue_.begin()->second.size() <= kPayloadMax) {
    const std::vector<uint8_t>& m = queue_.begin()->second;
    payload.insert(payload.end(), m.begin(), m.end());
    queue_.erase(queue_.begin());
  }
  if (payload.empty()) return false;
  const std::size_t start = out.size();
  (void)append_block(out, static_cast<uint8_t>(send_seq_), payload);
  const auto length = static_cast<int64_t>(out.size() - start);
  const int64_t sent_ns = now_ns + byte_time_ns_ * length;
  if (sent_.empty()) retransmit_at_ns_ = sent_ns + rto_ns_;
  if (rtt_sample_seq_ == 0) rtt_sample_seq_ = send_seq_;
  sent_.push_back({std::vector<uint8_t>(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()), sent_ns});
  need_ack_bytes_ += static_cast<std::size_t>(length);
  ++send_seq_;
  ++stats_.blocks_sent;
  stats_.bytes_sent += static_cast<uint64_t>(length);
  return true;
}

}  // namespace rtstep::mcu
