// GcodeInput (see gcode_input.hpp).
#include "machine/gcode_input.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rtstep::machine {
namespace {

// A pause is checked this often for a signal (give_up) and for the patience running out.
constexpr int64_t kCheckEveryNs = 20'000'000;

}  // namespace

bool GcodeInput::wait_readable() {
  bool idled = false;
  for (;;) {
    if (wait_->give_up()) return false;
    // Input already there is read first: idle() plans the look-ahead to a stop, which only a pause needs.
    const int64_t wait_ns = idled ? kCheckEveryNs : std::clamp<int64_t>(wait_->patience_ns(), 0, kCheckEveryNs);
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>((wait_ns + 999'999) / 1'000'000));
    // Readable, at its end or in error: read() says which. EINTR (a signal) goes round to give_up().
    if (ready > 0 || (ready < 0 && errno != EINTR)) return true;
    if (!idled && wait_->patience_ns() <= 0) {
      wait_->idle();
      idled = true;
    }
  }
}

GcodeInput::int_type GcodeInput::underflow() {
  if (wait_ != nullptr && !wait_readable()) {
    gave_up_ = true;
    return traits_type::eof();
  }
  ssize_t n = 0;
  do {
    n = ::read(fd_, buffer_, sizeof buffer_);  // a pipe returns what it holds, without waiting for a full buffer
  } while (n < 0 && errno == EINTR);
  if (n < 0) error_ = std::string("read failed: ") + std::strerror(errno);
  if (n <= 0) return traits_type::eof();
  bytes_.store(bytes_.load(std::memory_order_relaxed) + static_cast<uint64_t>(n), std::memory_order_relaxed);
  setg(buffer_, buffer_, buffer_ + n);
  return traits_type::to_int_type(buffer_[0]);
}

}  // namespace rtstep::machine
