// Split mode as a user runs it (issue 19, item 4): `rtstep rt` and `rtstep run --connect` as two real
// processes. The clock is the executor's: a host refuses --virtual-clock rather than claim a clock it does
// not keep; a host started before the ring says at once that it waits, and shows the wait; its progress
// counts the steps the other process runs. Times are bounded loosely (a loaded test machine).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <regex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "cold_example.hpp"
#include "rtstep_process.hpp"
#include "scratch_dir.hpp"

namespace rtstep::cli {
namespace {

// Real-clock jobs on a shared test machine: the lateness guards off, as the smoke test of `run` has them,
// and heartbeats and a lead that a busy machine cannot eat.
std::string loose_config() {
  return "[include " + kSource + "/tests/data/example-unguarded.cfg]\n[rt]\nheartbeat_timeout: 2\nbuffer_time: 1\n";
}
const std::string kHomeAndMove = "G28\nG1 X5 Y5 F6000\n";

bool wait_until(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Whether `pid` (a child) is still running.
bool running(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == 0; }

// The step counts of `run`'s progress lines on a stream that is not a terminal ("progress: file ... | N steps").
std::vector<uint64_t> progress_steps(const std::string& err) {
  static const std::regex line(R"(progress: file .*\| (\d+) steps\n)");
  std::vector<uint64_t> steps;
  for (auto it = std::sregex_iterator(err.begin(), err.end(), line); it != std::sregex_iterator(); ++it) {
    steps.push_back(std::stoull((*it)[1]));
  }
  return steps;
}

class SplitRun : public ScratchDirTest {
 protected:
  SplitRun() : ScratchDirTest("rtstep-split-run") {}
  void SetUp() override {
    ScratchDirTest::SetUp();
    config_ = write("printer.cfg", loose_config());
  }
  ~SplitRun() override {
    // A process left running (a failed assertion) would keep ctest waiting for its output.
    for (const pid_t pid : children_) {
      if (running(pid)) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  }
  // Starts `rtstep ARGS` in the background; its stderr goes to `err_path(tag)`, its stdout to `out_path(tag)`.
  pid_t start(const std::string& tag, const std::vector<std::string>& args) {
    const pid_t pid = start_rtstep(args, STDIN_FILENO, out_path(tag), err_path(tag));
    children_.push_back(pid);
    return pid;
  }
  pid_t start_rt(const std::vector<std::string>& extra) {
    std::vector<std::string> args{"rt", "--ring", ring_, "--config", config_, "--once"};
    args.insert(args.end(), extra.begin(), extra.end());
    return start("rt", args);
  }
  std::string out_path(const std::string& tag) const { return (dir_ / (tag + ".out")).string(); }
  std::string err_path(const std::string& tag) const { return (dir_ / (tag + ".err")).string(); }
  bool ring_exists() const { return std::filesystem::exists("/dev/shm" + ring_); }

  std::string config_;
  const std::string ring_ = "/rtstep-split-run-" + std::to_string(getpid());
  std::vector<pid_t> children_;
};

TEST_F(SplitRun, AVirtualClockIsRefusedAndTheSummaryNamesTheClockOfRtstepRt) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  const std::string gcode = write("move.gcode", kHomeAndMove);
  const pid_t rt = start_rt({});  // on the real clock
  ASSERT_TRUE(wait_until([&] { return ring_exists(); }, std::chrono::seconds(30))) << read_all(err_path("rt"));

  const Outcome refused = run_rtstep({"run", "-c", config_, "--connect", ring_, "--virtual-clock", gcode, "--json"});
  EXPECT_EQ(refused.code, exit_code::kUsage);
  EXPECT_EQ(refused.err, "rtstep run: --virtual-clock runs the executor of this process without waiting; with "
                         "--connect the clock is `rtstep rt`'s: start it as `rtstep rt --virtual-clock` and leave the "
                         "option out here\n");
  const auto refused_json = nlohmann::json::parse(refused.out);
  EXPECT_FALSE(refused_json.at("ok").get<bool>());
  EXPECT_EQ(refused_json.at("clock"), "rt") << "a refused host claims no clock";
  EXPECT_TRUE(running(rt)) << "the refused host never claimed the ring: rtstep rt still waits for one";

  // The same job without the option runs on the executor's real clock, and the summary says whose it is.
  const Outcome served = run_rtstep({"run", "-c", config_, "--connect", ring_, gcode, "-q"});
  EXPECT_EQ(served.code, 0) << served.err;
  EXPECT_TRUE(contains(served.out, " s of motion, the clock of rtstep rt, split executor finished")) << served.out;
  EXPECT_FALSE(contains(served.out, "virtual")) << served.out;
  EXPECT_EQ(wait_status(rt), 0) << read_all(err_path("rt"));
}

TEST_F(SplitRun, AMissingRingIsSaidAtOnceAndTheWaitIsShown) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  const std::string gcode = write("move.gcode", kHomeAndMove);
  ASSERT_FALSE(ring_exists());
  const pid_t run = start("run", {"run", "-c", config_, "--connect", ring_, "--connect-wait", "120", gcode});
  const std::string said = "rtstep run: waiting up to 120 s for ring " + ring_ + ": start `rtstep rt --ring " + ring_ +
                           " --config FILE`\n";
  // No rtstep rt exists yet: what the host says, it says while it waits.
  ASSERT_TRUE(wait_until([&] { return contains(read_all(err_path("run")), said); }, std::chrono::seconds(30)))
      << read_all(err_path("run"));
  // Not a terminal: the wait shows as a plain progress line every few seconds.
  EXPECT_TRUE(wait_until([&] { return contains(read_all(err_path("run")), "progress: waiting for ring " + ring_ + ": "); },
                         std::chrono::seconds(60)))
      << read_all(err_path("run"));
  ASSERT_TRUE(running(run)) << read_all(err_path("run"));

  const pid_t rt = start_rt({"--virtual-clock"});
  EXPECT_EQ(wait_status(run), 0) << read_all(err_path("run"));
  EXPECT_EQ(wait_status(rt), 0) << read_all(err_path("rt"));
  EXPECT_TRUE(contains(read_all(out_path("run")), "split executor finished")) << read_all(out_path("run"));
}

// `rtstep rt --virtual-clock` says so in the ring when it starts: the connected host then keeps no time
// either (no lead, no heater waits), as `run --virtual-clock` does embedded. The example heats before it
// prints: that would take minutes on the real clock.
TEST_F(SplitRun, AHostFollowsTheVirtualClockOfRtstepRt) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  const pid_t rt = start_rt({"--virtual-clock"});
  ASSERT_TRUE(wait_until([&] { return ring_exists(); }, std::chrono::seconds(30))) << read_all(err_path("rt"));
  const pid_t run = start("run", {"run", "-c", config_, "--connect", ring_, kSource + "/examples/square.gcode", "--json"});
  ASSERT_EQ(wait_status(run), 0) << read_all(err_path("run"));
  EXPECT_EQ(wait_status(rt), 0) << read_all(err_path("rt"));
  EXPECT_TRUE(contains(read_all(err_path("run")), "the virtual clock does not wait for heaters")) << read_all(err_path("run"));
  const auto summary = nlohmann::json::parse(read_all(out_path("run")));
  for (const auto& s : summary.at("steppers")) {
    EXPECT_EQ(s.at("steps"), s.at("planned_steps")) << s.dump();
    EXPECT_TRUE(s.at("position_ok").get<bool>()) << s.dump();
  }
}

TEST_F(SplitRun, ProgressCountsTheStepsTheRtProcessRuns) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  // `rtstep rt` on the real clock (on the virtual one the host keeps no time either and the job takes
  // milliseconds): about 8 s of motion, a progress line every 5 s, and the last one at the end.
  const pid_t rt = start_rt({});
  ASSERT_TRUE(wait_until([&] { return ring_exists(); }, std::chrono::seconds(30))) << read_all(err_path("rt"));
  const pid_t run = start("run", {"run", "-c", config_, "--connect", ring_, test_example::cold_example().job, "--json"});
  ASSERT_EQ(wait_status(run), 0) << read_all(err_path("run"));
  EXPECT_EQ(wait_status(rt), 0) << read_all(err_path("rt"));

  uint64_t total = 0;
  const auto summary = nlohmann::json::parse(read_all(out_path("run")));
  for (const auto& s : summary.at("steppers")) total += s.at("steps").get<uint64_t>();
  ASSERT_GT(total, 0U);
  const std::string err = read_all(err_path("run"));
  const std::vector<uint64_t> steps = progress_steps(err);
  ASSERT_GE(steps.size(), 2U) << err;
  EXPECT_EQ(steps.back(), total) << "the last line gives the executor's own count\n" << err;
  // While the job ran: steps of the other process counted, not yet all of them.
  const bool midway = std::any_of(steps.begin(), steps.end() - 1, [&](uint64_t n) { return n > 0 && n < total; });
  EXPECT_TRUE(midway) << err;
  for (const uint64_t n : steps) EXPECT_LE(n, total) << err;
}

}  // namespace
}  // namespace rtstep::cli
