// `rtstep bench executor` as a user runs it: a short sweep through the real binary, its JSON checked for
// the steps each rate must produce, the spin floor's own consistency, and the sweep's verdict.
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rtstep::cli {
namespace {

const std::string kBinary = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";

// Runs the command, returns its stdout and exit status.
std::pair<std::string, int> run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {"", -1};
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

TEST(BenchExecutor, SweepRunsEveryRateAndNamesTheHighestWithinTarget) {
  // SCHED_FIFO priority 1: the other tests' executors and hosts, running beside this one, preempt it.
  const auto [out, status] = run(kBinary +
                                 " bench executor --rates 20000,40000 --duration 0.2 --reference 0.1 --floor 0.1 "
                                 "--priority 1 --json");
  ASSERT_EQ(status, 0) << out;
  const auto j = nlohmann::json::parse(out);
  const auto& sweep = j.at("sweep");
  ASSERT_EQ(sweep.size(), 2u);
  // 4 steppers at rate / 4 steps/s each for 0.2 s: every step is run, each a rising and a falling edge.
  const int64_t expected_steps[] = {4000, 8000};
  double best = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(sweep[i].at("status"), "finished");
    EXPECT_EQ(sweep[i].at("steps").get<int64_t>(), expected_steps[i]);
    EXPECT_GE(sweep[i].at("edges").get<int64_t>(), 2 * expected_steps[i]);
    if (sweep[i].at("lateness_ns").at("p99").get<int64_t>() <= 2000) best = sweep[i].at("rate_steps_per_s");
  }
  EXPECT_EQ(j.at("highest_rate_p99_within_2us").get<double>(), best);

  const auto& floor = j.at("spin_floor");
  EXPECT_GE(floor.at("seconds").get<double>(), 0.1);
  EXPECT_LE(floor.at("p99_bound_ns").get<int64_t>(), floor.at("p99_9_bound_ns").get<int64_t>());
  EXPECT_LE(floor.at("p99_9_bound_ns").get<int64_t>(), floor.at("longest_gap_ns").get<int64_t>());
  EXPECT_GE(floor.at("gaps_over_1us").get<int64_t>(), floor.at("gaps_over_10us").get<int64_t>());
}

TEST(BenchExecutor, RefusesARateBeyondTheRing) {
  const auto [out, status] = run(kBinary + " bench executor --rates 1000,1e12 --duration 0.1 2>&1");
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("need a step interval"), std::string::npos) << out;
}

}  // namespace
}  // namespace rtstep::cli
