// The printer pty with a real pseudo-terminal and the test's FakeBackend: what a host reads after each
// line, checksums and resends, reopening the link, M112 during a long command, busy keepalives.

#include "api/printer_pty.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "api_test_util.hpp"

namespace rtstep::api {
namespace {

using testing::FakeBackend;
using testing::LogSink;
using testing::TempDir;
using testing::wait_until;

// A host on the pty's link, reading whole lines.
class PtyClient {
 public:
  explicit PtyClient(const std::string& link) : fd_(::open(link.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC)) {}
  ~PtyClient() { close(); }
  PtyClient(const PtyClient&) = delete;
  PtyClient& operator=(const PtyClient&) = delete;

  bool is_open() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool write(const std::string& bytes) {
    return ::write(fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  }
  // The next line without its '\n', or "<timeout>".
  std::string line(std::chrono::milliseconds timeout = testing::kTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto eol = buffer_.find('\n'); eol != std::string::npos) {
        std::string out = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 1);
        return out;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "<timeout>";
      char chunk[4096];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return "<closed>";
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // Sends one line and returns the answer lines up to and including the "ok".
  std::vector<std::string> command(const std::string& text) {
    std::vector<std::string> lines;
    if (!write(text + "\n")) return lines;
    do {
      lines.push_back(line());
    } while (lines.back().rfind("ok", 0) != 0 && lines.back() != "<timeout>");
    return lines;
  }

 private:
  int fd_;
  std::string buffer_;
};

std::string numbered(long n, const std::string& command) {
  std::string line = "N" + std::to_string(n) + " " + command;
  unsigned checksum = 0;
  for (char c : line) checksum ^= static_cast<unsigned char>(c);
  return line + "*" + std::to_string(checksum);
}

using Lines = std::vector<std::string>;

class PrinterPtyTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void start(int64_t busy_interval_ns = 2'000'000'000) {
    PrinterPtyOptions options;
    options.link = dir.file("printer");
    options.log = log.fn();
    options.protocol.busy_interval_ns = busy_interval_ns;
    pty = std::make_unique<PrinterPty>(io, backend, std::move(options));
    const Status opened = pty->open();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
  }
  void TearDown() override { pty.reset(); }
  std::string link() const { return dir.file("printer"); }

  TempDir dir;
  LogSink log;
  FakeBackend backend;
  IoThread io;
  std::unique_ptr<PrinterPty> pty;
};

TEST_F(PrinterPtyTest, M105IsAnsweredWithPrintrunsTemperatureLine) {
  PtyClient host(link());
  ASSERT_TRUE(host.is_open());
  EXPECT_EQ(host.command("M105"), Lines{"ok T:21.0 /0.0 B:20.5 /0.0"});
  EXPECT_EQ(host.command("G28"), Lines{"ok"});
  EXPECT_EQ(host.command("FAIL"), (Lines{"!! Unknown command:\"FAIL\"", "ok"}));
  EXPECT_EQ(backend.scripts(), (std::vector<std::string>{"M105", "G28", "FAIL"}));
}

TEST_F(PrinterPtyTest, ChecksumsLineNumbersAndResends) {
  PtyClient host(link());
  EXPECT_EQ(host.command(numbered(-1, "M110 N-1")), Lines{"ok"});
  EXPECT_EQ(host.command(numbered(0, "G28")), Lines{"ok"});
  EXPECT_EQ(host.command("N1 G1 X5*1"), (Lines{"Error:checksum mismatch, Last Line: 0", "Resend: 1", "ok"}));
  EXPECT_EQ(host.command(numbered(3, "G1 X5")),
            (Lines{"Error:Line Number is not Last Line Number+1, Last Line: 0", "Resend: 1", "ok"}));
  EXPECT_EQ(host.command(numbered(1, "G1 X5")), Lines{"ok"});
  EXPECT_EQ(host.command("M110 N100"), Lines{"ok"});
  EXPECT_EQ(host.command(numbered(101, "M105")), Lines{"ok T:21.0 /0.0 B:20.5 /0.0"});
  EXPECT_EQ(backend.scripts(), (std::vector<std::string>{"G28", "G1 X5", "M105"}));
}

TEST_F(PrinterPtyTest, HostsMayCloseAndReopenTheLink) {
  for (int round = 0; round < 3; ++round) {
    PtyClient host(link());
    ASSERT_TRUE(host.is_open()) << round;
    EXPECT_EQ(host.command("M105"), Lines{"ok T:21.0 /0.0 B:20.5 /0.0"}) << round;
  }
  EXPECT_FALSE(log.contains("read failed")) << log.all();
}

TEST_F(PrinterPtyTest, M112StopsAtOnceWhileALongCommandRuns) {
  PtyClient host(link());
  ASSERT_TRUE(host.write("LONG\nM112\n"));
  ASSERT_TRUE(wait_until([&] { return !backend.stops().empty(); }));
  EXPECT_EQ(backend.held(), 1u) << "the long command is still running";
  EXPECT_EQ(backend.stops(), std::vector<std::string>{"Shutdown due to M112 command"});
  backend.release(ScriptResult{false, "Printer is shutdown", "", {}});
  EXPECT_EQ(host.line(), "!! Printer is shutdown");
  EXPECT_EQ(host.line(), "ok");
  EXPECT_EQ(host.line(), "ok") << "M112's own ok, in order";
  EXPECT_EQ(backend.scripts(), std::vector<std::string>{"LONG"});
}

TEST_F(PrinterPtyTest, BusyKeepalivesWhileALongCommandRuns) {
  pty.reset();
  start(20'000'000);  // a short interval keeps the test quick; the interval itself is tested on a fake clock
  PtyClient host(link());
  ASSERT_TRUE(host.write("LONG\n"));
  EXPECT_EQ(host.line(), "echo:busy: processing");
  EXPECT_EQ(host.line(), "echo:busy: processing");
  backend.release();
  std::string line;
  do {
    line = host.line();
  } while (line == "echo:busy: processing");
  EXPECT_EQ(line, "ok");
}

TEST_F(PrinterPtyTest, OutputFromElsewhereReachesTheHost) {
  PtyClient host(link());
  ASSERT_TRUE(wait_until([&] { return backend.output_subscribers() == 1; }));
  backend.output("// action:pause");
  EXPECT_EQ(host.line(), "// action:pause");
  EXPECT_EQ(host.command("SAY hello"), (Lines{"// hello", "ok"})) << "a command's output comes before its ok";
}

TEST_F(PrinterPtyTest, OutputNobodyReadsIsBoundedAndTheHostIsServedAfterwards) {
  ASSERT_TRUE(wait_until([&] { return backend.output_subscribers() == 1; }));
  // Nobody has the link open: the terminal's buffer fills, then the pty's own 64 KiB, then output is dropped.
  const std::string line(1024, 'x');
  for (int i = 0; i < 256; ++i) backend.output("// " + line);
  EXPECT_TRUE(wait_until([&] { return log.contains("printer pty: the host does not read; dropped"); })) << log.all();
  PtyClient host(link());
  std::vector<std::string> answer = host.command("M105");  // the stale output comes first, then the answer
  ASSERT_FALSE(answer.empty());
  EXPECT_EQ(answer.back(), "ok T:21.0 /0.0 B:20.5 /0.0");
}

TEST_F(PrinterPtyTest, TheDeviceIsOwnerOnlyAndTheLinkIsRemovedOnClose) {
  struct stat st {};
  ASSERT_EQ(::stat(link().c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::filesystem::read_symlink(link()).string(), pty->slave_path());
  pty->close();
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(link())));
}

TEST_F(PrinterPtyTest, AStaleLinkIsReplacedButAFileIsNot) {
  pty.reset();
  std::filesystem::create_symlink("/dev/pts/nonexistent", link());
  start();
  EXPECT_EQ(std::filesystem::read_symlink(link()).string(), pty->slave_path());
  pty.reset();
  std::ofstream(link()) << "a file";
  PrinterPtyOptions options;
  options.link = link();
  options.log = log.fn();
  PrinterPty refused(io, backend, options);
  const Status opened = refused.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().message, link() + ": exists and is not a symlink; not replacing it");
}

}  // namespace
}  // namespace rtstep::api
