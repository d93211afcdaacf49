// serial_port.hpp against a real pseudo-terminal pair: the port opens the slave side as it would open
// /dev/ttyACM0; the test plays the board on the master side.

#include "mcu/serial_port.hpp"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace rtstep::mcu {
namespace {

class Pty {
 public:
  Pty() {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ >= 0 && grantpt(master_) == 0 && unlockpt(master_) == 0) {
      char name[128];
      if (ptsname_r(master_, name, sizeof name) == 0) slave_path_ = name;
    }
  }
  ~Pty() { close_master(); }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  bool ok() const { return master_ >= 0 && !slave_path_.empty(); }
  const std::string& slave_path() const { return slave_path_; }
  int master() const { return master_; }
  void close_master() {
    if (master_ >= 0) ::close(master_);
    master_ = -1;
  }

 private:
  int master_ = -1;
  std::string slave_path_;
};

// Waits (up to a generous limit, never asserted as a time) until `fd` is readable.
bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 10'000) == 1;
}

std::vector<uint8_t> read_port(SerialPort& port, std::size_t want) {
  std::vector<uint8_t> got;
  while (got.size() < want && wait_readable(port.fd())) {
    uint8_t buf[256];
    auto n = port.read(buf);
    if (!n.ok()) break;
    got.insert(got.end(), buf, buf + *n);
  }
  return got;
}

// Every byte value a block can carry, including the ones a cooked tty would eat or translate: CR, LF,
// ^C, ^S/^Q, ^D, DEL, NUL and the sync byte.
std::vector<uint8_t> all_bytes() {
  std::vector<uint8_t> v;
  for (int i = 0; i < 256; ++i) v.push_back(static_cast<uint8_t>(i));
  return v;
}

TEST(SerialPort, PassesEveryByteUnchangedBothWays) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  auto port = SerialPort::open(pty.slave_path(), 250000);
  ASSERT_TRUE(port.ok()) << port.error().message;
  uint8_t buf[16];
  ASSERT_TRUE(port->read(buf).ok());
  EXPECT_EQ(*port->read(buf), 0u);  // nothing there: non-blocking, returns at once
  const auto bytes = all_bytes();
  ASSERT_EQ(::write(pty.master(), bytes.data(), bytes.size()), 256);
  EXPECT_EQ(read_port(port.value(), 256), bytes);
  // And back: the port's output is not processed (no CR added before LF).
  std::size_t written = 0;
  while (written < bytes.size()) {
    auto n = port->write(std::span<const uint8_t>(bytes).subspan(written));
    ASSERT_TRUE(n.ok());
    written += *n;
  }
  std::vector<uint8_t> echoed;
  while (echoed.size() < 256 && wait_readable(pty.master())) {
    uint8_t b[256];
    const ssize_t n = ::read(pty.master(), b, sizeof b);
    ASSERT_GT(n, 0);
    echoed.insert(echoed.end(), b, b + n);
  }
  EXPECT_EQ(echoed, bytes);
}

TEST(SerialPort, TakesANonStandardBaudRate) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  auto port = SerialPort::open(pty.slave_path(), 1'234'567);
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_EQ(port->baud(), 1'234'567u);
  Pty other;
  ASSERT_TRUE(other.ok());
  auto standard = SerialPort::open(other.slave_path(), 250000);
  ASSERT_TRUE(standard.ok());
  EXPECT_EQ(standard->baud(), 250000u);
}

TEST(SerialPort, OpensThroughASymlinkAsUnderDevSerialById) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("rtstep-mcu-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto link = dir / "usb-Klipper_stm32f103xe_12345-if00";
  std::filesystem::create_symlink(pty.slave_path(), link);
  auto port = SerialPort::open(link.string(), 250000);
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_EQ(port->path(), link.string());
  const uint8_t sync = 0x7E;
  ASSERT_EQ(::write(pty.master(), &sync, 1), 1);
  EXPECT_EQ(read_port(port.value(), 1), std::vector<uint8_t>{0x7E});
  std::filesystem::remove_all(dir);
}

TEST(SerialPort, RefusesAPortAlreadyInUse) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  auto first = SerialPort::open(pty.slave_path(), 250000);
  ASSERT_TRUE(first.ok());
  auto second = SerialPort::open(pty.slave_path(), 250000);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in use"), std::string::npos);
  EXPECT_NE(second.error().message.find(pty.slave_path()), std::string::npos);
}

TEST(SerialPort, ErrorsNameThePathAndTheCause) {
  auto missing = SerialPort::open("/dev/serial/by-id/no-such-board", 250000);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "/dev/serial/by-id/no-such-board: open: No such file or directory");
  char file[] = "/tmp/rtstep-mcu-notatty-XXXXXX";
  const int fd = mkstemp(file);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto not_tty = SerialPort::open(file, 250000);
  ASSERT_FALSE(not_tty.ok());
  EXPECT_NE(not_tty.error().message.find("not a serial port"), std::string::npos);
  ::unlink(file);
  Pty pty;
  EXPECT_FALSE(SerialPort::open(pty.slave_path(), 0).ok());
}

TEST(SerialPort, ReportsTheDeviceGoingAway) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  auto port = SerialPort::open(pty.slave_path(), 250000);
  ASSERT_TRUE(port.ok());
  pty.close_master();  // the board was unplugged
  ASSERT_TRUE(wait_readable(port->fd()));
  uint8_t buf[16];
  const auto r = port->read(buf);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(pty.slave_path()), std::string::npos);
}

}  // namespace
}  // namespace rtstep::mcu
