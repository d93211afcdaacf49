// SerialPort (serial_port.hpp). The line settings go through TCGETS2/TCSETS2 (struct termios2 from the
// kernel's <asm/termbits.h>), which take any baud rate as a number with BOTHER; glibc's <termios.h> cannot
// be included beside it, so this file sets raw mode itself instead of calling cfmakeraw().

#include <asm/termbits.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "mcu/serial_port.hpp"

namespace rtstep::mcu {

namespace {

Error os_error(const std::string& path, const char* step, int err) {
  return Error{path + ": " + step + ": " + std::strerror(err)};
}

// Raw 8N1: no input translation or flow control, no output processing, no echo or signals — the same
// settings as cfmakeraw() plus CLOCAL|CREAD. VMIN=1 with O_NONBLOCK: a read with nothing there fails
// with EAGAIN, so that a read of 0 bytes means end of file (VMIN=0 would return 0 for both).
void make_raw(termios2& t, uint32_t baud) {
  t.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY);
  t.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | CSTOPB | CRTSCTS | CBAUD | (CBAUD << IBSHIFT));
  t.c_cflag |= CS8 | CLOCAL | CREAD | BOTHER | (BOTHER << IBSHIFT);
  t.c_ispeed = baud;
  t.c_ospeed = baud;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
}

}  // namespace

Result<SerialPort> SerialPort::open(const std::string& path, uint32_t baud) {
  if (baud == 0) return Error{path + ": baud rate must be > 0"};
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return os_error(path, "open", errno);
  SerialPort port(fd, path, baud);  // closes fd on every error path below
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) return Error{path + ": in use by another process (locked)"};
    return os_error(path, "flock", err);
  }
  termios2 t{};
  if (::ioctl(fd, TCGETS2, &t) != 0) return os_error(path, "not a serial port (TCGETS2)", errno);
  make_raw(t, baud);
  if (::ioctl(fd, TCSETS2, &t) != 0) return os_error(path, "cannot set line settings (TCSETS2)", errno);
  if (::ioctl(fd, TCGETS2, &t) == 0) port.baud_ = t.c_ospeed;
  ::ioctl(fd, TCFLSH, TCIOFLUSH);  // drop what arrived before the link existed
  return port;
}

SerialPort::SerialPort(SerialPort&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), baud_(other.baud_) {}

SerialPort& SerialPort::operator=(SerialPort&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    baud_ = other.baud_;
  }
  return *this;
}

SerialPort::~SerialPort() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::size_t> SerialPort::read(std::span<uint8_t> buffer) {
  for (;;) {
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {
      if (buffer.empty()) return std::size_t{0};
      return Error{path_ + ": device closed (EOF)"};
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN) return std::size_t{0};
    return os_error(path_, err == EIO ? "read (device gone?)" : "read", err);
  }
}

Result<std::size_t> SerialPort::write(std::span<const uint8_t> bytes) {
  for (;;) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN) return std::size_t{0};
    return os_error(path_, "write", err);
  }
}

void SerialPort::flush_output() noexcept { ::ioctl(fd_, TCFLSH, TCOFLUSH); }

}  // namespace rtstep::mcu
