// The serve unit of `rtstep systemd-unit` against the real `rtstep serve` (issue 16): its ExecStart line is
// run as systemd would run it, with a notification socket this test holds (NOTIFY_SOCKET) and a watchdog
// (WATCHDOG_USEC). serve must say READY=1, keep pinging WATCHDOG=1 and say STOPPING=1; SIGTERM must end it
// with an exit the unit does not restart after (0), and SIGINT, an emergency stop, with one the unit lists
// in RestartPreventExitStatus=.
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/tools.hpp"
#include "rtstep_process.hpp"
#include "scratch_dir.hpp"

namespace rtstep::cli {
namespace {

std::string line_of(const std::string& text, const std::string& key) {
  const auto at = text.find("\n" + key + "=");
  if (at == std::string::npos) return {};
  const auto start = at + key.size() + 2;
  return text.substr(start, text.find('\n', start) - start);
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

class SystemdServe : public ScratchDirTest {
 protected:
  SystemdServe() : ScratchDirTest("rtstep-systemd-serve") {}
  void SetUp() override {
    ScratchDirTest::SetUp();
    notify_path_ = (dir_ / "notify").string();
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(notify_path_.size(), sizeof addr.sun_path);
    std::strcpy(addr.sun_path, notify_path_.c_str());
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    // The serve unit as the command writes it, with this test's binary, socket and terminal.
    UnitOptions o;
    o.config_path = kSource + "/examples/printer.cfg";
    o.binary = kRtstep;
    o.backend = "sim";
    o.api_path = (dir_ / "klippy.sock").string();
    o.pty_path = (dir_ / "printer").string();
    auto units = units_for(o);
    ASSERT_TRUE(units.ok()) << units.error().message;
    ASSERT_EQ((*units)[2].name, "rtstep-serve.service");
    unit_ = (*units)[2].text;
  }
  void TearDown() override {
    if (serve_ > 0 && waitpid(serve_, nullptr, WNOHANG) == 0) {
      kill(serve_, SIGKILL);
      waitpid(serve_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
    ScratchDirTest::TearDown();
  }
  // Starts ExecStart= of the unit with systemd's notification environment (a watchdog of 200 ms).
  void start_serve() {
    std::vector<std::string> argv = words(line_of(unit_, "ExecStart"));
    ASSERT_GE(argv.size(), 2U) << unit_;
    ASSERT_EQ(argv[0], kRtstep);
    argv.erase(argv.begin());
    setenv("NOTIFY_SOCKET", notify_path_.c_str(), 1);
    setenv("WATCHDOG_USEC", "200000", 1);
    serve_ = start_rtstep(argv, STDIN_FILENO, (dir_ / "serve.out").string(), (dir_ / "serve.err").string());
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
  }
  // Waits (loosely) for a datagram holding `what`; counts the WATCHDOG=1 pings seen meanwhile.
  bool receive(const std::string& what, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buffer[512];
      const ssize_t n = recv(fd_, buffer, sizeof buffer - 1, 0);
      if (n <= 0) continue;
      const std::string message(buffer, static_cast<size_t>(n));
      if (message.find("WATCHDOG=1") != std::string::npos) ++pings_;
      if (message.find(what) != std::string::npos) return true;
    }
    return false;
  }
  std::string err() const { return read_all((dir_ / "serve.err").string()); }

  std::string notify_path_, unit_;
  int fd_ = -1;
  pid_t serve_ = -1;
  int pings_ = 0;
};

TEST_F(SystemdServe, SigtermEndsItCleanlyAfterReadyAndWatchdogPings) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  EXPECT_EQ(line_of(unit_, "Type"), "notify");
  EXPECT_EQ(line_of(unit_, "Restart"), "on-failure") << "exit 0 is not restarted";
  start_serve();
  ASSERT_TRUE(receive("READY=1", std::chrono::seconds(60))) << err();
  // Pings every 100 ms: several within a loose bound.
  while (pings_ < 3 && receive("WATCHDOG=1", std::chrono::seconds(30))) {
  }
  EXPECT_GE(pings_, 3) << err();
  ASSERT_EQ(kill(serve_, SIGTERM), 0);
  EXPECT_TRUE(receive("STOPPING=1", std::chrono::seconds(60))) << err();
  EXPECT_EQ(wait_status(serve_), 0) << err();
}

TEST_F(SystemdServe, AnEmergencyStopEndsItWithAnExitTheUnitDoesNotRestartAfter) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  start_serve();
  ASSERT_TRUE(receive("READY=1", std::chrono::seconds(60))) << err();
  ASSERT_EQ(kill(serve_, SIGINT), 0);
  EXPECT_TRUE(receive("STOPPING=1", std::chrono::seconds(60))) << err();
  const int code = wait_status(serve_);
  EXPECT_NE(code, 0) << "an emergency stop is a failure, which Restart=on-failure would restart but for the list";
  const std::vector<std::string> no_restart = words(line_of(unit_, "RestartPreventExitStatus"));
  EXPECT_NE(std::find(no_restart.begin(), no_restart.end(), std::to_string(code)), no_restart.end())
      << "serve exited " << code << " after SIGINT; the unit prevents restarts after: "
      << line_of(unit_, "RestartPreventExitStatus") << "\n" << err();
}

}  // namespace
}  // namespace rtstep::cli
