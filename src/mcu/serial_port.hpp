#pragma once
// SerialPort: a tty opened for Klipper's MCU protocol — any path (/dev/ttyUSB0, /dev/ttyACM0, a
// /dev/serial/by-id/... symlink, a pseudo-terminal), raw 8N1 without flow control, non-blocking, at any
// baud rate (standard or not: the kernel's termios2/BOTHER interface takes the rate as a number). USB
// CDC-ACM devices ignore the rate. The port is locked (flock, exclusive) so that a second rtstep or a
// Klipper instance on the same port is refused instead of stealing bytes.
//
// Non-real-time: open() is init only; read()/write() are for the MCU link's thread and never block.
// Not thread-safe: one owner.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "util/result.hpp"

namespace rtstep::mcu {

class SerialPort {
 public:
  // Opens `path` at `baud` bits/s (> 0). Errors name the path and the failing step with its errno text.
  static Result<SerialPort> open(const std::string& path, uint32_t baud);

  SerialPort(SerialPort&& other) noexcept;
  SerialPort& operator=(SerialPort&& other) noexcept;
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;
  ~SerialPort();

  // Reads what is available (0 when nothing is); an error on a hang-up (EOF: the device went away) or
  // a read error.
  Result<std::size_t> read(std::span<uint8_t> buffer);
  // Writes as much as the driver takes now (possibly 0); an error on a write error.
  Result<std::size_t> write(std::span<const uint8_t> bytes);
  // Drops bytes written but not yet sent (before a retransmission, as Klipper's host does).
  void flush_output() noexcept;

  int fd() const noexcept { return fd_; }  // for poll()
  const std::string& path() const noexcept { return path_; }
  // The rate the driver reports after configuration (a pseudo-terminal reports what was set).
  uint32_t baud() const noexcept { return baud_; }

 private:
  SerialPort(int fd, std::string path, uint32_t baud) : fd_(fd), path_(std::move(path)), baud_(baud) {}
  int fd_ = -1;
  std::string path_;
  uint32_t baud_ = 0;
};

}  // namespace rtstep::mcu
