// `rtstep serve` as a user runs it: the real binary with its API socket and printer terminal, driven by
// real clients — Moonraker's conversation replayed by tests/cli/serve_client.py (Python's standard library)
// and Printrun's own console client, pronsole (Debian's pronsole package, installed by
// scripts/install-deps.sh). The lateness guards are off (tests/data/serve-test.cfg): a stall of a loaded
// test machine is not what these tests check.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "rtstep_process.hpp"
#include "scratch_dir.hpp"

namespace rtstep::cli {
namespace {

using namespace std::chrono_literals;

class ServeTest : public ScratchDirTest {
 protected:
  ServeTest() : ScratchDirTest("rtstep-serve") {}

  void SetUp() override {
    ScratchDirTest::SetUp();
    socket_ = (dir_ / "klippy.sock").string();
    pty_ = (dir_ / "printer").string();
    sdcard_ = dir_ / "gcodes";
    std::filesystem::create_directories(sdcard_);
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait_status(pid_);
    }
    ScratchDirTest::TearDown();
  }

  // Starts `rtstep serve` and waits for its socket and terminal to appear.
  void start() {
    const int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_ = start_rtstep({"serve", "--config", kSource + "/tests/data/serve-test.cfg", "--api", socket_, "--pty", pty_,
                         "--sdcard", sdcard_.string()},
                        in, (dir_ / "serve.out").string(), (dir_ / "serve.err").string());
    close(in);
    for (auto deadline = std::chrono::steady_clock::now() + 30s;
         !(std::filesystem::exists(socket_) && std::filesystem::exists(pty_)) &&
         std::chrono::steady_clock::now() < deadline;) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(std::filesystem::exists(socket_)) << read_all((dir_ / "serve.err").string());
  }

  // SIGTERM: the service stops cleanly and exits 0.
  int stop() {
    kill(pid_, SIGTERM);
    const int code = wait_status(pid_);
    pid_ = -1;
    return code;
  }

  std::string err() const { return read_all((dir_ / "serve.err").string()); }

  static std::string run_command(const std::string& command) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return "popen failed";
    std::string output;
    char chunk[4096];
    while (const std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) output.append(chunk, n);
    const int status = ::pclose(pipe);
    return output + "\n[exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "]";
  }

  pid_t pid_ = -1;
  std::string socket_, pty_;
  std::filesystem::path sdcard_;
};

TEST_F(ServeTest, ReplaysMoonrakersConversation) {
  start();
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U) << "the API socket must not be open to other users";
  const std::string output =
      run_command("python3 " + kSource + "/tests/cli/serve_client.py " + socket_ + " " + sdcard_.string());
  EXPECT_NE(output.find("serve_client: all checks passed"), std::string::npos) << output << err();
  EXPECT_EQ(output.find("FAILED"), std::string::npos) << output;
  EXPECT_EQ(stop(), 0) << err();
  EXPECT_FALSE(std::filesystem::exists(socket_)) << "the socket is removed at the end";
}

// Printrun's console connects to the printer terminal, homes, jogs, asks for temperatures and prints a file
// from the host side, line by line with its own line numbers and checksums.
TEST_F(ServeTest, PronsolePrintsThroughThePrinterTerminal) {
  if (std::system("command -v pronsole >/dev/null 2>&1") != 0) {
    FAIL() << "pronsole is missing: run scripts/install-deps.sh (Debian package pronsole)";
  }
  start();
  const std::string part = write("part.gcode", "G28\nG90\nG1 X10 Y10 F6000\nG1 X20 Y10\nG1 X20 Y30\nM400\n");
  const std::string home = (dir_ / "home").string();
  std::filesystem::create_directories(home);
  const std::string output = run_command("cd " + home + " && HOME=" + home + " timeout 120 python3 " + kSource +
                                         "/tests/cli/pronsole_driver.py " + pty_ + " " + part);
  EXPECT_NE(output.find("Printer is now online"), std::string::npos) << output << err();
  EXPECT_NE(output.find("ok T:"), std::string::npos) << output;  // M105 in the form Printrun reads
  EXPECT_NE(output.find("Print ended at"), std::string::npos) << output;
  EXPECT_NE(output.find("pronsole_driver: done"), std::string::npos) << output;
  // The controller ran the file the host streamed: the head is where its last move put it.
  const std::string where =
      run_command("python3 " + kSource + "/tests/cli/serve_client.py --position " + socket_);
  EXPECT_NE(where.find("[20.0, 30.0]"), std::string::npos) << where;
  EXPECT_EQ(stop(), 0) << err();
}

TEST_F(ServeTest, RefusesToStartWithoutAFrontEnd) {
  const Outcome o = run_rtstep({"serve", "--config", kSource + "/tests/data/serve-test.cfg"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(contains(o.err, "give --api PATH, --pty PATH or both")) << o.err;
}

TEST_F(ServeTest, NamesAPathItCannotUse) {
  const Outcome o = run_rtstep({"serve", "--config", kSource + "/tests/data/serve-test.cfg", "--api",
                                "/nonexistent-dir/klippy.sock"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(contains(o.err, "/nonexistent-dir/klippy.sock")) << o.err;
}

}  // namespace
}  // namespace rtstep::cli
