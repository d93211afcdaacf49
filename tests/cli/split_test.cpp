// Split mode: `rtstep rt` serving `run --connect`. Killing either process, stalling the host, a second
// host and stale or foreign rings are cases of the fault matrix (tests/fault/), which runs both sides as
// real rtstep processes and checks the recorded edges.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "cli/run.hpp"
#include "ipc/ipc.hpp"

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;
const std::string kBinary = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string shm_name(const char* what) { return "/rtstep-split-" + std::to_string(getpid()) + "-" + what; }

bool wait_for(const std::function<bool()>& ready, int64_t timeout_ns) {
  const int64_t until = now_ns() + timeout_ns;
  while (!ready()) {
    if (now_ns() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The exit status of `pid`, waiting at most `timeout_ns`; -1 if it is still running.
int wait_exit(pid_t pid, int64_t timeout_ns) {
  int status = 0;
  const bool exited = wait_for([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout_ns);
  return exited ? status : -1;
}

// Kills the child if the test ends while it runs: ctest waits for every process holding the test's output,
// so a leftover `rtstep rt` waiting for a host would hang the whole suite.
struct KillOnExit {
  pid_t pid;
  ~KillOnExit() {
    if (waitpid(pid, nullptr, WNOHANG) != 0) return;  // exited and reaped (or never ours)
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
};

TEST(SplitMode, RtProcessServesARunThatConnects) {
  if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << "needs the rtstep binary: " << kBinary;
  const std::string name = shm_name("job");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl(kBinary.c_str(), kBinary.c_str(), "rt", "--shm", name.c_str(), "--config",
          (kSource + "/examples/printer.cfg").c_str(), "--once", "--virtual-clock", static_cast<char*>(nullptr));
    _exit(127);
  }
  const KillOnExit guard{child};
  // The file appears before the ring in it is ready: wait until it can be attached.
  ASSERT_TRUE(wait_for([&] { return ipc::SegmentRing::attach(name).ok(); }, 5'000'000'000));
  RunOptions options;
  options.config_path = kSource + "/examples/printer.cfg";
  options.gcode_path = kSource + "/examples/square.gcode";
  options.connect_name = name;
  std::ostringstream log;
  const RunSummary s = run_job(options, log);
  EXPECT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.mode, "split");
  ASSERT_EQ(s.steppers.size(), 4U);
  for (const auto& st : s.steppers) {
    EXPECT_EQ(st.position, st.planned_position) << st.name;
    EXPECT_EQ(st.steps, st.planned_steps) << st.name << ": counted from the pins in the other process";
  }
  const int status = wait_exit(child, 30'000'000'000);
  ASSERT_NE(status, -1) << "rtstep rt --once did not exit after its job";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + name)) << "the rt process removes its ring";
}

}  // namespace
}  // namespace rtstep::cli
