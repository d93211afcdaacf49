#pragma once
// Connection: the host's side of one MCU link up to a synchronised clock, as a pure state machine — bytes
// in, bytes out, times from the caller (CLOCK_MONOTONIC ns, or a virtual clock in tests). It puts the
// protocol pieces together: BlockParser and TransmitWindow carry the messages, IdentifyFetcher and
// Dictionary learn the MCU's messages, ClockSync follows its clock.
//
//   kIdentify   identify requests for the data dictionary, 40 bytes at a time; the dictionary must pass
//               require_rtstep_core()
//   kClockSync  get_uptime, then the burst of get_clock queries
//   kReady      one get_clock about every second; commands may be sent (send())
//   kFailed     failure() says why; nothing more is sent
//
// Commands are delivered by the transport (retransmitted until acknowledged), but the MCU's answers are
// not: a request whose answer does not come within the retry time is sent again (doubling up to 1 s), and
// the link fails when the MCU makes no progress for the stall timeout during identify and get_uptime, or
// leaves more than 4 clock queries in a row unanswered (Klipper's "lost communication with MCU").
// Messages the connection does not consume itself (everything but identify_response, uptime and clock)
// wait in take_messages(), in arrival order. A `starting` message (the MCU has just booted) is delivered
// even in a block the transmit window cannot place, since a restarted MCU numbers its blocks from 0 again.
//
// Not thread-safe: one owner (the MCU link's thread). Non-real-time.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mcu/clock_sync.hpp"
#include "mcu/dictionary.hpp"
#include "mcu/framing.hpp"
#include "mcu/transmit.hpp"

namespace rtstep::mcu {

enum class LinkState : uint8_t { kIdentify, kClockSync, kReady, kFailed };

struct ConnectionOptions {
  int64_t byte_time_ns = 0;                   // wire time of one byte (10 bits at the baud rate; 0 for USB)
  int64_t retry_ns = 100'000'000;             // first re-request of an unanswered identify/get_uptime
  int64_t stall_timeout_ns = 5'000'000'000;   // no progress for this long during identify: failed
};

class Connection {
 public:
  static constexpr int kMaxPendingClockQueries = 4;

  // Starts identifying at `now_ns` (the first poll() sends the first request).
  explicit Connection(int64_t now_ns, ConnectionOptions options = {});

  // Bytes read from the port at `now_ns`.
  void receive(std::span<const uint8_t> bytes, int64_t now_ns);
  // Appends what to write now; true when it starts with a retransmission (see TransmitWindow::poll).
  bool poll(int64_t now_ns, std::vector<uint8_t>& out);
  // When poll() next has timed work (a retransmission, a re-request, a clock query, a timeout).
  int64_t next_deadline_ns() const noexcept;

  // Queues command `name` (kClockSync or kReady). `req_clock` orders it against other queued commands.
  Status send(std::string_view name, std::span<const Arg> args, uint64_t req_clock = 0);
  // Queues a message already encoded with dictionary() (1..kPayloadMax bytes), as send().
  Status send_encoded(std::span<const uint8_t> message, uint64_t req_clock = 0);
  // The messages received and not consumed by the connection, oldest first; the inbox empties.
  std::vector<Message> take_messages();

  LinkState state() const noexcept { return state_; }
  const std::string& failure() const noexcept { return failure_; }
  // The failure is the MCU's dictionary (a firmware rtstep cannot drive): connecting again will not help.
  bool refused() const noexcept { return refused_; }
  const Dictionary& dictionary() const noexcept { return dictionary_; }  // bootstrap until identified
  const ClockSync* clock() const noexcept { return clock_ ? &*clock_ : nullptr; }  // from kClockSync
  const TransmitWindow& window() const noexcept { return window_; }
  const BlockParser& parser() const noexcept { return parser_; }
  uint64_t undecodable_blocks() const noexcept { return undecodable_; }

 private:
  void handle(const Message& m, int64_t sent_ns, int64_t now_ns);
  void on_identify(const Message& m, int64_t now_ns);
  void on_uptime(const Message& m, int64_t sent_ns, int64_t now_ns);
  void on_clock(const Message& m, int64_t sent_ns, int64_t now_ns);
  void request(std::vector<uint8_t> message, int64_t now_ns);
  void retry_or_fail(int64_t now_ns);
  void fail(std::string why);

  ConnectionOptions options_;
  LinkState state_ = LinkState::kIdentify;
  std::string failure_;
  bool refused_ = false;
  BlockParser parser_;
  TransmitWindow window_;
  Dictionary dictionary_ = Dictionary::bootstrap();
  IdentifyFetcher fetch_;
  std::optional<ClockSync> clock_;
  std::vector<uint8_t> pending_request_;  // identify or get_uptime awaiting its answer (empty: none)
  int64_t request_ns_ = 0, retry_at_ns_ = 0, retry_interval_ns_ = 0, progress_ns_ = 0;
  int64_t last_clock_query_ns_ = 0;
  int clock_queries_pending_ = 0;
  std::vector<Message> inbox_;
  uint64_t undecodable_ = 0;
};

}  // namespace rtstep::mcu
