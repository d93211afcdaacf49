// One API socket client: framing in, bounded output out (klippy_session.hpp).

#include "api/klippy_session.hpp"

#include <utility>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/write.hpp>

namespace rtstep::api {

KlippySession::KlippySession(Socket socket, ClientId id, SessionLimits limits, std::weak_ptr<SessionOwner> owner)
    : socket_(std::move(socket)),
      id_(id),
      limits_(limits),
      owner_(std::move(owner)),
      framer_(limits.max_message_bytes) {}

void KlippySession::start() { read_more(); }

void KlippySession::read_more() {
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) {
      self->close(ec == asio::error::eof ? std::string() : "read failed: " + ec.message());
      return;
    }
    std::vector<std::string> messages;
    if (!self->framer_.feed(std::string_view(self->read_buffer_.data(), n), messages)) {
      self->close("message over " + std::to_string(self->limits_.max_message_bytes) + " bytes");
      return;
    }
    for (std::string& message : messages) {
      const auto owner = self->owner_.lock();
      if (!owner || self->closed_) return;
      owner->on_message(*self, std::move(message));  // may close this session or restart the server
    }
    if (!self->closed_) self->read_more();
  });
}

void KlippySession::send(const Json& message) {
  if (closed_) return;
  std::string frame = encode_frame(message);
  if (output_bytes_ + frame.size() > limits_.max_output_bytes) {
    close("output buffer over " + std::to_string(limits_.max_output_bytes) + " bytes: the client does not read");
    return;
  }
  output_bytes_ += frame.size();
  queued_.push_back(std::move(frame));
  if (writing_.empty()) write_more();
}

void KlippySession::write_more() {
  // Everything queued goes out in one write: fewer system calls when a burst of updates is waiting.
  for (std::string& frame : queued_) writing_ += frame;
  queued_.clear();
  if (writing_.empty()) return;
  asio::async_write(socket_, asio::buffer(writing_), [self = shared_from_this()](std::error_code ec, std::size_t) {
    if (self->closed_) return;
    if (ec) {
      self->close("write failed: " + ec.message());
      return;
    }
    self->output_bytes_ -= self->writing_.size();
    self->writing_.clear();
    self->write_more();
  });
}

void KlippySession::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  queued_.clear();
  if (const auto owner = owner_.lock()) owner->on_closed(*this, reason);
}

}  // namespace rtstep::api
