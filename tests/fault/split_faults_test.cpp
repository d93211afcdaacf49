// Fault matrix, split deployment (issue 8): `rtstep rt` and `rtstep run --connect` as real processes,
// killed, stalled, doubled up and given stale or foreign shared memory. Each case checks the exit status,
// what the surviving process says, and the edges the sim backend recorded (the rt process's trace).
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <memory>
#include <regex>

#include <nlohmann/json.hpp>

#include "fault/fault_harness.hpp"
#include "ipc/ipc.hpp"

namespace rtstep::fault {
namespace {

constexpr int64_t kHeartbeatTimeoutNs = 100 * kMs;  // the default [rt] heartbeat_timeout
constexpr uint64_t kTraceRunning = 64 * 1024;       // trace bytes that mean "steps are being written"

// `rtstep rt --once` on `name`, tracing into the sandbox; waits until its ring exists.
std::unique_ptr<Process> start_rt(const Sandbox& box, const std::string& name, const std::string& config,
                                  const std::string& tag = "rt") {
  auto rt = std::make_unique<Process>(
      box, tag, std::vector<std::string>{"rt", "--shm", name, "--config", config, "--once", "--trace", box.path(tag + ".trace")});
  EXPECT_TRUE(wait_for([&] { return shm_exists(name); }, 10'000 * kMs)) << rt->output();
  return rt;
}

std::unique_ptr<Process> start_host(const Sandbox& box, const std::string& name, const std::string& config,
                                    const std::string& gcode, const std::string& tag = "host") {
  return std::make_unique<Process>(
      box, tag, std::vector<std::string>{"run", "--config", config, "--connect", name, "--json", "-q", gcode});
}

// Waits until the rt process's trace shows steps being written (the job is mid-move).
bool wait_mid_move(const Sandbox& box, const std::string& tag = "rt") {
  return wait_for([&] { return size_of(box.path(tag + ".trace")) > kTraceRunning; }, 15'000 * kMs);
}

// "stepper_x +1234 (" -> 1234, for every stepper the rt process listed in its position line.
std::vector<int64_t> reported_positions(const std::string& err) {
  std::vector<int64_t> out;
  const std::size_t line = err.find("position at the end of the job");
  if (line == std::string::npos) return out;
  const std::string text = err.substr(line, err.find('\n', line) - line);
  const std::regex item(R"((\w+) ([+-]\d+) \()");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), item); it != std::sregex_iterator(); ++it) {
    out.push_back(std::stoll((*it)[2].str()));
  }
  return out;
}

void expect_safe_end(const TraceEnd& end) {
  ASSERT_TRUE(end.readable) << end.error;
  EXPECT_TRUE(end.complete) << "the surviving rt process closed its trace";
  EXPECT_TRUE(end.step_pins_low) << "a step pin was left high";
  EXPECT_TRUE(end.enable_pins_released) << "an enable pin was left active";
}

class SplitFaults : public FaultTest {};

// 1. kill -9 of the host mid-move: the executor stops within the heartbeat timeout, step pins low, enable
// pins released, and the rt process reports where every stepper stopped.
TEST_F(SplitFaults, HostKilledMidMoveStopsTheExecutorWithinTheTimeout) {
  const std::string name = shm_name("host-killed");
  const std::string config = write_config(box_, {});
  auto rt = start_rt(box_, name, config);
  auto host = start_host(box_, name, config, write_zigzag(box_, 20));
  ASSERT_TRUE(wait_mid_move(box_)) << rt->output() << host->output();
  const int64_t killed = now_ns();
  host->signal(SIGKILL);
  ASSERT_TRUE(host->wait(5'000 * kMs));
  EXPECT_EQ(rt->exit_code(10'000 * kMs), 5) << "a job that ended in a safety stop\n" << rt->output();
  const std::string err = rt->err();
  EXPECT_TRUE(contains(err, "host lost: no heartbeat from the host for")) << err;
  const TraceEnd end = read_trace_end(box_.path("rt.trace"));
  expect_safe_end(end);
  // The queued motion ran until the loss was detected, and not much longer.
  EXPECT_GE(end.last_step_rise_ns, killed + kHeartbeatTimeoutNs - 20 * kMs) << "stopped before the timeout";
  EXPECT_LE(end.last_step_rise_ns, killed + kHeartbeatTimeoutNs + kGenerousNs) << "kept stepping after the timeout";
  // The position at the stop, as reported, is the one the pulses on the pins add up to.
  const std::vector<int64_t> reported = reported_positions(err);
  EXPECT_EQ(reported, end.positions) << err;
  EXPECT_NE(reported, std::vector<int64_t>(reported.size(), 0)) << "the machine had moved";
  EXPECT_FALSE(shm_exists(name)) << "the rt process removed its ring";
}

// 2. kill -9 of the executor: the host exits non-zero within the timeout, naming the cause. The ring the
// killed process leaves behind is then detected as stale (case 5 with a real crash).
TEST_F(SplitFaults, ExecutorKilledMakesTheHostExitNamingTheCause) {
  const std::string name = shm_name("exec-killed");
  const std::string config = write_config(box_, {});
  auto rt = start_rt(box_, name, config);
  auto host = start_host(box_, name, config, write_zigzag(box_, 20));
  ASSERT_TRUE(wait_mid_move(box_)) << rt->output() << host->output();
  const int64_t killed = now_ns();
  rt->signal(SIGKILL);
  ASSERT_TRUE(rt->wait(5'000 * kMs));
  EXPECT_EQ(host->exit_code(10'000 * kMs), 5) << host->output();
  EXPECT_LE(host->ended_ns() - killed, kHeartbeatTimeoutNs + kGenerousNs) << "the host noticed within the timeout";
  const auto summary = nlohmann::json::parse(host->out(), nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << host->output();
  EXPECT_EQ(summary["exit_code"], 5);
  EXPECT_TRUE(contains(summary["error"].get<std::string>(), "executor lost: no heartbeat for")) << summary.dump(2);

  ASSERT_TRUE(shm_exists(name)) << "kill -9 leaves the ring behind";
  Process late_host(box_, "late-host", {"run", "--config", config, "--connect", name, "--json", "-q", square_});
  EXPECT_EQ(late_host.exit_code(), 3) << late_host.output();
  EXPECT_TRUE(contains(late_host.out(), "is no longer running (left over from a crashed run)")) << late_host.output();
}

// 5. Shared memory left over from a crashed run: a new `rtstep rt` replaces it and says so, a host never
// attaches to it; a ring whose creator is alive is neither replaced nor shared.
TEST_F(SplitFaults, StaleRingIsReplacedAndALiveOneIsNot) {
  const std::string name = shm_name("stale");
  const std::string config = write_config(box_, {});
  const pid_t crashed = fork();
  ASSERT_GE(crashed, 0);
  if (crashed == 0) {  // creates the ring and dies without cleaning up, as a crash would
    auto ring = ipc::SegmentRing::create(name, 64);
    _exit(ring.ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(crashed, &status, 0), crashed);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(shm_exists(name));

  Process host_on_stale(box_, "stale-host", {"run", "--config", config, "--connect", name, "--json", "-q", square_});
  EXPECT_EQ(host_on_stale.exit_code(), 3) << host_on_stale.output();
  EXPECT_TRUE(contains(host_on_stale.out(), "stale: its creator, pid " + std::to_string(crashed))) << host_on_stale.output();

  auto rt = start_rt(box_, name, config);
  ASSERT_TRUE(wait_for([&] { return contains(rt->err(), "waiting for a host"); }, 10'000 * kMs)) << rt->output();
  EXPECT_TRUE(contains(rt->err(), "replaced a stale ring left by pid " + std::to_string(crashed) +
                                      ", which is no longer running"))
      << rt->output();
  Process host(box_, "host", {"run", "--config", config, "--connect", name, "--json", "-q", square_});
  EXPECT_EQ(host.exit_code(), 0) << host.output();
  EXPECT_EQ(rt->exit_code(), 0) << rt->output();

  // A live ring (this test process created it) is refused, not replaced.
  auto live = ipc::SegmentRing::create(name, 64);
  ASSERT_TRUE(live.ok()) << live.error().message;
  Process second_rt(box_, "rt2", {"rt", "--shm", name, "--config", config, "--once"});
  EXPECT_EQ(second_rt.exit_code(), 1) << second_rt.output();
  EXPECT_TRUE(contains(second_rt.err(), "is in use by rtstep pid " + std::to_string(getpid()))) << second_rt.output();
  EXPECT_TRUE(shm_exists(name));
}

// 6. A second host trying to attach to a busy executor is refused; the first one's job is unaffected.
TEST_F(SplitFaults, SecondHostIsRefusedAndTheFirstFinishes) {
  const std::string name = shm_name("second-host");
  const std::string config = write_config(box_, {});
  auto rt = start_rt(box_, name, config);
  auto first = start_host(box_, name, config, write_zigzag(box_, 3), "first");
  ASSERT_TRUE(wait_mid_move(box_)) << rt->output() << first->output();
  Process second(box_, "second", {"run", "--config", config, "--connect", name, "--json", "-q", square_});
  EXPECT_EQ(second.exit_code(), 3) << second.output();
  EXPECT_TRUE(contains(second.out(), "the executor is busy: host pid " + std::to_string(first->pid()) + " is attached"))
      << second.output();
  EXPECT_EQ(first->exit_code(), 0) << first->output();
  const auto summary = nlohmann::json::parse(first->out(), nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << first->output();
  for (const auto& s : summary["steppers"]) {
    EXPECT_TRUE(s["position_ok"].get<bool>()) << s.dump();
    EXPECT_EQ(s["steps"], s["planned_steps"]) << s.dump();
  }
  EXPECT_EQ(rt->exit_code(), 0) << rt->output();
}

// 3. The host stalls (SIGSTOP) mid-move: its heartbeat stops with it, so the executor stops within the
// heartbeat timeout, pins safe, and says the host was lost; the host, continued, exits non-zero.
// (With a heartbeat timeout longer than the host's lead, the executor runs what it has and then idles with
// its pins low; it reports no underrun until the host comes back: see docs/SAFETY.md.)
TEST_F(SplitFaults, StalledHostEndsInASafeStopWithinTheTimeout) {
  const std::string name = shm_name("stalled");
  const std::string config = write_config(box_, {});
  auto rt = start_rt(box_, name, config);
  auto host = start_host(box_, name, config, write_zigzag(box_, 20));
  ASSERT_TRUE(wait_mid_move(box_)) << rt->output() << host->output();
  const int64_t stopped = now_ns();
  host->signal(SIGSTOP);
  const bool reported = wait_for([&] { return contains(rt->err(), "host lost: no heartbeat"); }, 5'000 * kMs);
  const int64_t reported_after = now_ns() - stopped;
  host->signal(SIGCONT);
  ASSERT_TRUE(reported) << rt->output();
  EXPECT_LT(reported_after, kHeartbeatTimeoutNs + kGenerousNs);
  EXPECT_NE(host->exit_code(), 0) << host->output();
  EXPECT_EQ(rt->exit_code(), 5) << rt->output();
  expect_safe_end(read_trace_end(box_.path("rt.trace")));
}

// 7. Shared memory owned by another user, or with a mode wider than 0600: refused by both sides, and
// never replaced.
TEST_F(SplitFaults, ForeignOrWidelyWritableSharedMemoryIsRefused) {
  const std::string name = shm_name("foreign");
  const std::string config = write_config(box_, {});
  auto ring = ipc::SegmentRing::create(name, 64);  // a valid, live ring...
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  const std::string path = "/dev/shm" + name;
  ASSERT_EQ(chmod(path.c_str(), 0666), 0);  // ...that every user could write
  Process wide(box_, "wide", {"run", "--config", config, "--connect", name, "--json", "-q", square_});
  EXPECT_EQ(wide.exit_code(), 3) << wide.output();
  EXPECT_TRUE(contains(wide.out(), "mode 0666 is not 0600")) << wide.output();

  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  if (geteuid() != 0) GTEST_SKIP() << "giving the object to another user needs root";
  ASSERT_EQ(chown(path.c_str(), 4242, 4242), 0);
  Process foreign(box_, "foreign", {"run", "--config", config, "--connect", name, "--json", "-q", square_});
  EXPECT_EQ(foreign.exit_code(), 3) << foreign.output();
  EXPECT_TRUE(contains(foreign.out(), "owned by uid 4242, not by this user")) << foreign.output();

  // `rtstep rt` must not take over or delete another user's object, even one whose creator is gone.
  const std::string other = shm_name("foreign-rt");
  const int fd = shm_open(other.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fchown(fd, 4242, 4242), 0);
  close(fd);
  Process rt(box_, "rt", {"rt", "--shm", other, "--config", config, "--once"});
  EXPECT_EQ(rt.exit_code(), 1) << rt.output();
  EXPECT_TRUE(contains(rt.err(), "owned by uid 4242, not by this user")) << rt.output();
  EXPECT_TRUE(contains(rt.err(), "not replaced")) << rt.output();
  EXPECT_TRUE(shm_exists(other));
  shm_unlink(other.c_str());
}

}  // namespace
}  // namespace rtstep::fault
