// Connection (connection.hpp): identify, clock synchronisation and the periodic clock queries of one MCU
// link, driven by the caller's bytes and clock.

#include "mcu/connection.hpp"

#include <algorithm>
#include <utility>

namespace rtstep::mcu {

namespace {

constexpr int64_t kMaxRetryNs = 1'000'000'000;

std::vector<uint8_t> encode_plain(const Dictionary& d, std::string_view name) {
  std::vector<uint8_t> out;
  (void)d.encode(name, std::span<const Arg>(), out);  // present: require_rtstep_core checked it
  return out;
}

std::string seconds_text(int64_t ns) {
  const int64_t tenths = ns / 100'000'000;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

}  // namespace

Connection::Connection(int64_t now_ns, ConnectionOptions options)
    : options_(options), window_(options.byte_time_ns), progress_ns_(now_ns) {
  request(fetch_.request(), now_ns);
}

void Connection::receive(std::span<const uint8_t> bytes, int64_t now_ns) {
  while (!bytes.empty()) {
    bytes = bytes.subspan(parser_.feed(bytes));
    while (const auto block = parser_.next()) {
      const ReceiveResult r = window_.on_block(*block, now_ns);
      if (block->empty() || state_ == LinkState::kFailed) continue;
      const auto messages = dictionary_.decode_all(block->payload());
      if (!r.valid) {
        if (messages && messages->size() == 1 && messages->front().name == "starting") inbox_.push_back(messages->front());
        continue;
      }
      if (!messages) {
        ++undecodable_;
        continue;
      }
      // The answer was complete when its last byte arrived; the MCU sent its first byte a block's wire
      // time earlier, which is what a clock sample needs (as Klipper's host subtracts it).
      const int64_t received_ns = now_ns - options_.byte_time_ns * block->length;
      for (const Message& m : *messages) handle(m, r.sent_time_ns, received_ns);
    }
  }
}

void Connection::handle(const Message& m, int64_t sent_ns, int64_t now_ns) {
  if (m.name == "identify_response") {
    if (state_ == LinkState::kIdentify) on_identify(m, now_ns);
  } else if (m.name == "uptime") {
    if (state_ == LinkState::kClockSync && !pending_request_.empty()) on_uptime(m, sent_ns, now_ns);
  } else if (m.name == "clock") {
    if (clock_ && pending_request_.empty()) on_clock(m, sent_ns, now_ns);
  } else {
    inbox_.push_back(m);
  }
}

void Connection::on_identify(const Message& m, int64_t now_ns) {
  const auto done = fetch_.on_response(m);
  if (!done) return;  // an answer to a repeated request: its chunk is already here
  progress_ns_ = now_ns;
  if (!*done) {
    request(fetch_.request(), now_ns);
    return;
  }
  pending_request_.clear();
  auto dictionary = Dictionary::parse_compressed(fetch_.data());
  refused_ = true;
  if (!dictionary) return fail(dictionary.error().message);
  if (Status s = require_rtstep_core(dictionary.value()); !s) return fail(s.error().message);
  refused_ = false;
  dictionary_ = std::move(dictionary).value();
  clock_.emplace(*dictionary_.constant_number("CLOCK_FREQ"));
  state_ = LinkState::kClockSync;
  request(encode_plain(dictionary_, "get_uptime"), now_ns);
}

void Connection::on_uptime(const Message& m, int64_t sent_ns, int64_t now_ns) {
  const auto high = m.integer("high"), clock = m.integer("clock");
  if (!high || !clock) return;
  clock_->start(static_cast<uint32_t>(*high), static_cast<uint32_t>(*clock), sent_ns != 0 ? sent_ns : request_ns_);
  pending_request_.clear();
  progress_ns_ = now_ns;
  last_clock_query_ns_ = 0;  // the burst starts at once
}

void Connection::on_clock(const Message& m, int64_t sent_ns, int64_t now_ns) {
  const auto clock = m.integer("clock");
  if (!clock) return;
  clock_queries_pending_ = 0;
  (void)clock_->on_clock(static_cast<uint32_t>(*clock), sent_ns, now_ns);
  if (state_ == LinkState::kClockSync && clock_->samples() >= kBurstQueries) state_ = LinkState::kReady;
}

// Queues a request whose answer the connection waits for, and arms its re-request.
void Connection::request(std::vector<uint8_t> message, int64_t now_ns) {
  pending_request_ = std::move(message);
  (void)window_.queue(pending_request_);
  request_ns_ = now_ns;
  retry_interval_ns_ = options_.retry_ns;
  retry_at_ns_ = now_ns + retry_interval_ns_;
}

void Connection::retry_or_fail(int64_t now_ns) {
  if (pending_request_.empty()) return;
  if (now_ns - progress_ns_ > options_.stall_timeout_ns) {
    return fail(std::string("MCU did not answer ") + (state_ == LinkState::kIdentify ? "identify" : "get_uptime") +
                " for " + seconds_text(options_.stall_timeout_ns) + " (wrong port or baud rate, or not Klipper firmware?)");
  }
  if (now_ns < retry_at_ns_) return;
  (void)window_.queue(pending_request_);
  request_ns_ = now_ns;
  retry_interval_ns_ = std::min(retry_interval_ns_ * 2, kMaxRetryNs);
  retry_at_ns_ = now_ns + retry_interval_ns_;
}

bool Connection::poll(int64_t now_ns, std::vector<uint8_t>& out) {
  if (state_ == LinkState::kFailed) return false;
  retry_or_fail(now_ns);
  if (state_ == LinkState::kFailed) return false;
  if (clock_ && pending_request_.empty() && now_ns >= clock_->next_query_ns(last_clock_query_ns_)) {
    if (clock_queries_pending_ >= kMaxPendingClockQueries + 1) {
      fail("lost communication with the MCU: " + std::to_string(clock_queries_pending_) + " clock queries unanswered");
      return false;
    }
    (void)window_.queue(encode_plain(dictionary_, "get_clock"));
    last_clock_query_ns_ = now_ns;
    ++clock_queries_pending_;
  }
  return window_.poll(now_ns, out);
}

int64_t Connection::next_deadline_ns() const noexcept {
  if (state_ == LinkState::kFailed) return kNever;
  int64_t at = window_.next_deadline_ns();
  if (!pending_request_.empty()) {
    at = std::min({at, retry_at_ns_, progress_ns_ + options_.stall_timeout_ns + 1});
  } else if (clock_) {
    at = std::min(at, clock_->next_query_ns(last_clock_query_ns_));
  }
  return at;
}

Status Connection::send(std::string_view name, std::span<const Arg> args, uint64_t req_clock) {
  if (state_ != LinkState::kClockSync && state_ != LinkState::kReady) {
    return Error{state_ == LinkState::kFailed ? "MCU link failed: " + failure_ : std::string("MCU link not identified yet")};
  }
  std::vector<uint8_t> message;
  if (Status s = dictionary_.encode(name, args, message); !s) return s;
  (void)window_.queue(message, req_clock);
  return Ok{};
}

Status Connection::send_encoded(std::span<const uint8_t> message, uint64_t req_clock) {
  if (state_ != LinkState::kClockSync && state_ != LinkState::kReady) {
    return Error{state_ == LinkState::kFailed ? "MCU link failed: " + failure_ : std::string("MCU link not identified yet")};
  }
  if (!window_.queue(message, req_clock)) return Error{"MCU message of " + std::to_string(message.size()) + " bytes cannot be sent"};
  return Ok{};
}

std::vector<Message> Connection::take_messages() { return std::exchange(inbox_, {}); }

void Connection::fail(std::string why) {
  state_ = LinkState::kFailed;
  failure_ = std::move(why);
}

}  // namespace rtstep::mcu
