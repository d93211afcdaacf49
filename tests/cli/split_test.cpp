// Split mode: `rtstep rt` serving `run --connect`. Killing either process, stalling the host, a second
// host and stale or foreign rings are cases of the fault matrix (tests/fault/), which runs both sides as
// real rtstep processes and checks the recorded edges.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "machine/host_link.hpp"
#include "cli/run.hpp"
#include "cold_example.hpp"
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

// `rtstep rt --once --virtual-clock` on the ring `name`, as a child process that starts it after `delay`.
// (The child sleeps, not a thread of this process: a fork with other threads running is unsafe under TSan.)
pid_t start_rt(const std::string& name, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
  const std::string config = test_example::cold_example().config;
  const pid_t child = fork();
  if (child == 0) {
    std::this_thread::sleep_for(delay);
    execl(kBinary.c_str(), kBinary.c_str(), "rt", "--shm", name.c_str(), "--config", config.c_str(), "--once",
          "--virtual-clock", static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

RunOptions square_job_on(const std::string& name) {
  RunOptions options;
  // The host keeps real time (the clock of `rtstep rt` is not its own): the example without heater waits.
  options.config_path = test_example::cold_example().config;
  options.gcode_path = test_example::cold_example().job;
  options.connect_name = name;
  return options;
}

// The job ran in the other process and every stepper ended where the plan said; the rt process ended.
void expect_served(const RunSummary& s, pid_t rt, const std::string& name) {
  EXPECT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.mode, "split");
  ASSERT_EQ(s.steppers.size(), 4U);
  for (const auto& st : s.steppers) {
    EXPECT_EQ(st.position, st.planned_position) << st.name;
    EXPECT_EQ(st.steps, st.planned_steps) << st.name << ": counted from the pins in the other process";
  }
  const int status = wait_exit(rt, 30'000'000'000);
  ASSERT_NE(status, -1) << "rtstep rt --once did not exit after its job";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + name)) << "the rt process removes its ring";
}

TEST(SplitMode, RtProcessServesARunThatConnects) {
  if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << "needs the rtstep binary: " << kBinary;
  const std::string name = shm_name("job");
  const pid_t child = start_rt(name);
  ASSERT_GE(child, 0);
  const KillOnExit guard{child};
  // The file appears before the ring in it is ready: wait until it can be attached.
  ASSERT_TRUE(wait_for([&] { return ipc::SegmentRing::attach(name).ok(); }, 5'000'000'000));
  std::ostringstream log;
  expect_served(run_job(square_job_on(name), log), child, name);
}

// A host unit may start before `rtstep rt` has made its ring (systemd orders the start, not the ring):
// the host waits for the ring, up to --connect-wait.
TEST(SplitMode, AHostStartedFirstWaitsForTheRing) {
  if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << "needs the rtstep binary: " << kBinary;
  const std::string name = shm_name("host-first");
  const pid_t child = start_rt(name, std::chrono::milliseconds(300));
  ASSERT_GE(child, 0);
  const KillOnExit guard{child};
  ASSERT_FALSE(std::filesystem::exists("/dev/shm" + name)) << "the host must start before the ring exists";
  RunOptions options = square_job_on(name);
  options.connect_wait_s = 60;
  std::ostringstream log;
  expect_served(run_job(options, log), child, name);
}

// Between two jobs the finished job's ring is still there, claimed, until `rtstep rt` has made the next one:
// a host arriving then waits for the fresh ring instead of being refused as busy.
TEST(SplitMode, AHostArrivingBetweenJobsWaitsForTheNextRing) {
  if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << "needs the rtstep binary: " << kBinary;
  const std::string name = shm_name("between-jobs");
  const pid_t gone = fork();  // the previous job's host, which has ended
  ASSERT_GE(gone, 0);
  if (gone == 0) _exit(0);
  ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
  std::optional<ipc::SegmentRing> previous;
  {
    auto created = ipc::SegmentRing::create(name, 64);
    ASSERT_TRUE(created.ok()) << created.error().message;
    ASSERT_EQ(created->try_claim_host(gone), gone);
    previous.emplace(std::move(*created));
  }
  // Forked before this test starts a thread. The next job's ring comes only after the previous one is gone.
  const pid_t child = start_rt(name, std::chrono::milliseconds(600));
  ASSERT_GE(child, 0);
  const KillOnExit guard{child};
  std::thread retire([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    previous.reset();
  });
  RunOptions options = square_job_on(name);
  options.connect_wait_s = 60;
  std::ostringstream log;
  const RunSummary s = run_job(options, log);
  retire.join();
  expect_served(s, child, name);
}

TEST(SplitMode, WithoutAnRtProcessTheHostGivesUpAfterItsWait) {
  const std::string name = shm_name("nobody");
  RunOptions options = square_job_on(name);
  options.connect_wait_s = 0.2;
  std::ostringstream log;
  const RunSummary s = run_job(options, log);
  EXPECT_EQ(s.exit_code, ExitCode::kExecutorFault);
  EXPECT_NE(s.error.find("shared memory " + name + ": shm_open failed: No such file or directory"), std::string::npos)
      << s.error;
  EXPECT_NE(s.error.find("is `rtstep rt --ring " + name + "` running?"), std::string::npos) << s.error;
}

// SIGTERM while `rtstep rt` is still starting the executor: the host ends the stream it never began, so the
// executor that starts next finishes an empty job instead of waiting out the heartbeat and reporting a lost host.
TEST(SplitMode, SigtermBeforeTheExecutorStartsEndsTheStream) {
  const std::string name = shm_name("early-term");
  auto rt_side = ipc::SegmentRing::create(name, 64);  // this test plays `rtstep rt`, which never starts
  ASSERT_TRUE(rt_side.ok()) << rt_side.error().message;
  std::atomic<bool> host_done{false};
  std::thread rt_process([&] {
    while (!host_done.load()) {
      rt_side->beat_executor();  // alive, still starting: the host must not call it lost
      if (rt_side->host_pid() != 0) g_run_signal.store(SIGTERM);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::ostringstream log;
  const RunSummary s = run_job(square_job_on(name), log);
  host_done.store(true);
  rt_process.join();
  g_run_signal.store(0);
  EXPECT_EQ(s.exit_code, ExitCode::kStopped) << s.error;
  EXPECT_EQ(s.error, "stopped before the executor started");
  EXPECT_EQ(rt_side->stop_requested(), ipc::StopCause::kNone) << "a SIGTERM is not a failure of the host";
  ipc::Record first;
  ASSERT_TRUE(rt_side->try_pop(first)) << "the host left the ring empty: the executor would wait for it";
  EXPECT_EQ(first.kind, ipc::RecordKind::kEndOfStream);
}

}  // namespace
}  // namespace rtstep::cli
