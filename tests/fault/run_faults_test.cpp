// Fault matrix, embedded and split runs (issue 8): a ring of the smallest capacity, a trace on a full disk
// or over the file size limit, and SIGINT/SIGTERM at seeded random moments. Real rtstep processes; each
// case checks the exit status, the summary and the edges recorded in the trace.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "fault/fault_harness.hpp"

namespace rtstep::fault {
namespace {

constexpr const char* kMinRing = "64";  // the smallest ring_capacity printer.cfg accepts

nlohmann::json summary_of(const Process& p) { return nlohmann::json::parse(p.out(), nullptr, false); }

// Every stepper ended where planned and the pins saw exactly the planned steps.
void expect_exact(const nlohmann::json& summary, const std::string& context) {
  ASSERT_FALSE(summary.is_discarded()) << context;
  ASSERT_FALSE(summary["steppers"].empty()) << context;
  for (const auto& s : summary["steppers"]) {
    EXPECT_TRUE(s["position_ok"].get<bool>()) << s.dump() << context;
    EXPECT_EQ(s["steps"], s["planned_steps"]) << s.dump() << context;
  }
}

// The trace has, per stepper, as many rising step edges as the summary's planned steps.
void expect_trace_matches(const TraceEnd& end, const nlohmann::json& summary) {
  ASSERT_TRUE(end.readable) << end.error;
  EXPECT_TRUE(end.complete);
  ASSERT_EQ(end.steps.size(), summary["steppers"].size());
  for (std::size_t i = 0; i < end.steps.size(); ++i) {
    EXPECT_EQ(end.steps[i], summary["steppers"][i]["planned_steps"].get<uint64_t>()) << i;
  }
  EXPECT_TRUE(end.step_pins_low);
  EXPECT_TRUE(end.enable_pins_released);
}

class RunFaults : public FaultTest {};

// 4. A ring of the smallest capacity, in real time: the host waits for room (back-pressure), no step is
// lost, final positions are exact and the pins saw exactly the planned steps.
TEST_F(RunFaults, MinimalRingLosesNoStepEmbedded) {
  // A bounded lead long enough that the ring's capacity, not the lead, holds the host back.
  const std::string config = write_config(box_, {{"ring_capacity", kMinRing}, {"buffer_time", "5"}});
  Process run(box_, "run", {"run", "--config", config, "--json", "-q", "--trace", box_.path("run.trace"), square_});
  ASSERT_EQ(run.exit_code(), 0) << run.output();
  const auto summary = summary_of(run);
  expect_exact(summary, run.output());
  EXPECT_EQ(summary["ring"]["capacity"], 64);
  EXPECT_EQ(summary["ring"]["high_water"], 64) << "the ring was full at times: the host had to wait";
  expect_trace_matches(read_trace_end(box_.path("run.trace")), summary);
}

TEST_F(RunFaults, MinimalRingLosesNoStepSplit) {
  const std::string name = shm_name("min-ring");
  const std::string config = write_config(box_, {{"ring_capacity", kMinRing}});
  Process rt(box_, "rt", {"rt", "--shm", name, "--config", config, "--once", "--trace", box_.path("rt.trace")});
  ASSERT_TRUE(wait_for([&] { return shm_exists(name); }, 10'000 * kMs)) << rt.output();
  Process host(box_, "host", {"run", "--config", config, "--connect", name, "--json", "-q", square_});
  ASSERT_EQ(host.exit_code(), 0) << host.output();
  const auto summary = summary_of(host);
  expect_exact(summary, host.output());
  EXPECT_EQ(summary["ring"]["capacity"], 64);
  EXPECT_EQ(rt.exit_code(), 0) << rt.output();
  expect_trace_matches(read_trace_end(box_.path("rt.trace")), summary);
}

// 8. Disk full while writing the trace: the motion is not affected (every stepper ends where planned), the
// run says which file failed and why, and exits 6 so a script notices the trace is incomplete.
TEST_F(RunFaults, TraceOnAFullDiskLeavesTheMotionExactAndSaysSo) {
  Process run(box_, "run", {"run", "--config", write_config(box_, {}), "--json", "-q", "--trace", "/dev/full", square_});
  EXPECT_EQ(run.exit_code(), 6) << run.output();
  const auto summary = summary_of(run);
  expect_exact(summary, run.output());
  const std::string error = summary["error"].get<std::string>();
  EXPECT_TRUE(contains(error, "/dev/full: writing edge records failed")) << error;
  EXPECT_TRUE(contains(error, std::strerror(ENOSPC))) << error;
}

// The same through RLIMIT_FSIZE: the write fails with EFBIG partway through the job instead of SIGXFSZ
// killing the process mid-move; the file holds what fitted and reads back as incomplete.
TEST_F(RunFaults, TraceOverTheFileSizeLimitLeavesTheMotionExactAndSaysSo) {
  constexpr rlim_t kLimit = 512 * 1024;  // above the embedded ring's shared-memory object (~164 KB)
  const std::string trace = box_.path("run.trace");
  Process run(box_, "run", {"run", "--config", write_config(box_, {}), "--json", "-q", "--trace", trace, square_},
              Process::Limits{kLimit});
  const auto status = run.wait(60'000 * kMs);
  ASSERT_TRUE(status);
  ASSERT_TRUE(WIFEXITED(*status)) << "killed by signal " << WTERMSIG(*status) << "\n" << run.output();
  EXPECT_EQ(WEXITSTATUS(*status), 6) << run.output();
  const auto summary = summary_of(run);
  expect_exact(summary, run.output());
  EXPECT_TRUE(contains(summary["error"].get<std::string>(), std::strerror(EFBIG))) << summary.dump(2);
  EXPECT_LE(size_of(trace), kLimit);
  EXPECT_GT(size_of(trace), kLimit / 2) << "the limit was hit partway through the job";
  const TraceEnd end = read_trace_end(trace);
  ASSERT_TRUE(end.readable) << end.error;
  EXPECT_FALSE(end.complete) << "no trailer after a failed write: the file does not pretend to be whole";
}

// 9. SIGINT and SIGTERM at seeded random moments of an embedded real-time run. Documented outcomes
// (docs/cli.md, docs/SAFETY.md): SIGINT stops at once and exits 5; SIGTERM finishes the queued motion and
// exits 5 (0 if the whole file had already been sent). A signal before rtstep installed its handlers
// ends the process before anything was driven. Never a step or enable pin left active.
TEST_F(RunFaults, SignalsAtRandomMomentsNeverLeaveAPinActive) {
  std::mt19937 random(20261125);
  std::uniform_int_distribution<int64_t> delay_ms(0, 2'500);  // square.gcode runs ~7 s after 0.25 s buffer
  for (int round = 0; round < 8; ++round) {
    const int sig = round % 2 == 0 ? SIGINT : SIGTERM;
    const int64_t delay = round == 0 ? 0 : delay_ms(random);
    const std::string tag = "round" + std::to_string(round);
    const std::string trace = box_.path(tag + ".trace");
    SCOPED_TRACE(tag + ": " + strsignal(sig) + " after " + std::to_string(delay) + " ms");
    Process run(box_, tag, {"run", "--config", write_config(box_, {}), "--json", "-q", "--trace", trace, square_});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    run.signal(sig);
    const auto status = run.wait(30'000 * kMs);
    ASSERT_TRUE(status) << "still running 30 s after the signal\n" << run.output();
    if (WIFSIGNALED(*status)) {
      EXPECT_EQ(WTERMSIG(*status), sig);
      EXPECT_FALSE(std::filesystem::exists(trace)) << "killed by the signal after pins were driven";
      continue;
    }
    const int code = WEXITSTATUS(*status);
    if (sig == SIGINT) {
      EXPECT_EQ(code, 5) << run.output();
    } else {
      EXPECT_TRUE(code == 5 || code == 0) << code << "\n" << run.output();
    }
    const auto summary = summary_of(run);
    ASSERT_FALSE(summary.is_discarded()) << run.output();
    if (code == 5) {
      EXPECT_TRUE(contains(summary["error"].get<std::string>(), sig == SIGINT ? "SIGINT" : "SIGTERM")) << summary.dump(2);
    }
    if (!std::filesystem::exists(trace)) continue;  // stopped before the executor started
    const TraceEnd end = read_trace_end(trace);
    ASSERT_TRUE(end.readable) << end.error;
    EXPECT_TRUE(end.complete);
    EXPECT_TRUE(end.step_pins_low) << "a step pin was left high";
    EXPECT_TRUE(end.enable_pins_released) << "an enable pin was left active";
    // SIGTERM lets the queued motion finish: the pins then add up to the position the run reports.
    if (sig == SIGTERM && code == 5) {
      for (std::size_t i = 0; i < end.steps.size(); ++i) {
        EXPECT_EQ(end.steps[i], summary["steppers"][i]["steps"].get<uint64_t>()) << i;
      }
    }
  }
}

}  // namespace
}  // namespace rtstep::fault
