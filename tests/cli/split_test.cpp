// Split mode and heartbeats across processes: `rtstep rt` serving `run --connect`, and each side stopping
// safely within the heartbeat timeout when the other process is killed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>

#include "cli/host_link.hpp"
#include "cli/run.hpp"
#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "rt/executor.hpp"

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;
const std::string kBinary = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";
constexpr int64_t kTimeoutNs = 100'000'000;    // the default heartbeat timeout
constexpr int64_t kGenerousNs = 400'000'000;   // extra allowed on a loaded VM: behaviour, not latency

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

ipc::Record long_segment(int64_t first) {
  ipc::StepSegment s;
  s.first_time_ns = first;
  s.interval_ns = 1'000'000;  // 1 kHz for 10 s
  s.count = 10'000;
  s.dir = 1;
  return ipc::Record::of(s);
}

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
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists("/dev/shm" + name); }, 5'000'000'000));
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
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + name)) << "the rt process removes its ring";
}

TEST(SplitMode, ExecutorStopsWithinTheTimeoutWhenTheHostProcessIsKilled) {
  const std::string name = shm_name("host");
  auto consumer = ipc::SegmentRing::create(name, 64);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the host: motion for 10 s, a horizon, then heartbeats until killed
    auto ring = ipc::SegmentRing::attach(name);
    if (!ring) _exit(1);
    const int64_t first = now_ns() + 30'000'000;
    if (!ring->try_push(long_segment(first))) _exit(2);
    ring->set_horizon(first + 20'000'000'000);
    for (;;) {
      ring->beat_host();
      usleep(5'000);
    }
  }
  ASSERT_TRUE(wait_for([&] { return consumer->host_beats() != 0; }, 5'000'000'000));
  gpio::SimBackend sim;
  ASSERT_TRUE(sim.configure(std::vector<gpio::PinSpec>{{"step", false}, {"dir", false}, {"enable", false}}).ok());
  rt::ExecutorConfig config;
  config.steppers = {{0, 1, 2, 2'000}};
  config.lock_memory = false;
  config.host_timeout_ns = kTimeoutNs;
  rt::StepExecutor exec(config, *consumer, sim);
  ASSERT_TRUE(exec.start().ok());
  ASSERT_TRUE(wait_for([&] { return exec.steps_written() >= 5; }, 2'000'000'000)) << "the job runs";
  const int64_t killed = now_ns();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(wait_for([&] { return !exec.running(); }, kTimeoutNs + kGenerousNs));
  const int64_t took = now_ns() - killed;
  const rt::ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, rt::ExecutorStatus::kHostLost) << r.message();
  EXPECT_GE(took, kTimeoutNs - 10'000'000) << "not before the timeout (the last beat was <= 5 ms before the kill)";
  EXPECT_FALSE(sim.level(0)) << "step pin low";
  EXPECT_FALSE(sim.level(2)) << "enable released";
}

TEST(SplitMode, HostStopsWithinTheTimeoutWhenTheExecutorProcessIsKilled) {
  const std::string name = shm_name("exec");
  auto producer = ipc::SegmentRing::create(name, 64);
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the executor process
    auto ring = ipc::SegmentRing::attach(name);
    if (!ring) _exit(1);
    gpio::SimBackend sim;
    if (!sim.configure(std::vector<gpio::PinSpec>{{"step", false}, {"dir", false}}).ok()) _exit(2);
    rt::ExecutorConfig config;
    config.steppers = {{0, 1, gpio::kMaxPins, 2'000}};
    config.lock_memory = false;
    rt::StepExecutor exec(config, *ring, sim);
    if (!exec.start().ok()) _exit(3);
    (void)exec.join();
    _exit(0);
  }
  ASSERT_TRUE(wait_for([&] { return producer->executor_beats() != 0; }, 5'000'000'000));
  HostLink link(*producer, kTimeoutNs);
  link.start();
  ASSERT_TRUE(link.push(long_segment(now_ns() + 30'000'000)).ok());
  producer->set_horizon(now_ns() + 20'000'000'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const int64_t killed = now_ns();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto result = link.wait_result();
  const int64_t took = now_ns() - killed;
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("executor lost"), std::string::npos) << result.error().message;
  EXPECT_LT(took, kTimeoutNs + kGenerousNs);
  EXPECT_TRUE(link.executor_lost());
  EXPECT_FALSE(link.push(long_segment(now_ns() + 20'000'000'000)).ok()) << "no more motion is sent";
}

}  // namespace
}  // namespace rtstep::cli
