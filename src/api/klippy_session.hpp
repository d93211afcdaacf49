#pragma once
// One client of the API socket (internal to klippy_server.cpp): reads frames, hands complete messages to its
// owner, writes replies through a bounded output buffer. A client that sends a message over the limit or
// stops reading until its buffer passes the limit is closed with that reason; nothing here ever blocks the
// API thread. Every function: API thread only.

#include <array>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include <asio/local/stream_protocol.hpp>

#include "api/klippy_protocol.hpp"

namespace rtstep::api {

class KlippySession;

// What a session reports to the server that owns it.
class SessionOwner {
 public:
  virtual ~SessionOwner() = default;
  virtual void on_message(KlippySession& session, std::string message) = 0;
  // Once per session; `reason` is empty for an orderly disconnect by the client.
  virtual void on_closed(KlippySession& session, const std::string& reason) = 0;
};

struct SessionLimits {
  std::size_t max_message_bytes = kMaxMessageBytes;
  std::size_t max_output_bytes = std::size_t{4} << 20;  // 4 MiB queued for a client that does not read
};

class KlippySession : public std::enable_shared_from_this<KlippySession> {
 public:
  using Socket = asio::local::stream_protocol::socket;

  KlippySession(Socket socket, ClientId id, SessionLimits limits, std::weak_ptr<SessionOwner> owner);
  void start();
  // Queues one message; closes the session when the output buffer would pass its limit.
  void send(const Json& message);
  // Closes the socket and reports `reason` to the owner (once).
  void close(const std::string& reason);
  bool closed() const noexcept { return closed_; }
  ClientId id() const noexcept { return id_; }

 private:
  void read_more();
  void write_more();

  Socket socket_;
  ClientId id_;
  SessionLimits limits_;
  std::weak_ptr<SessionOwner> owner_;
  Framer framer_;
  std::array<char, 16384> read_buffer_{};
  std::deque<std::string> queued_;  // frames not yet handed to the socket
  std::string writing_;             // the frames of the write in flight
  std::size_t output_bytes_ = 0;    // queued_ + writing_
  bool closed_ = false;
};

}  // namespace rtstep::api
