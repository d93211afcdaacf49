// rtstep run's threads in the [rt] hierarchy: the planning/feeding thread runs as rtstep-host (SCHED_FIFO
// at host_priority when allowed), the summary's thread table has the executor's row, and the calling
// thread gets its own scheduling back when the job ends.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/run.hpp"

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;

TEST(RunThreads, HostIsPlacedTheExecutorHasARowAndTheCallerIsRestored) {
  char name_before[16] = {};
  pthread_getname_np(pthread_self(), name_before, sizeof name_before);
  const int policy_before = sched_getscheduler(0);

  RunOptions options;
  options.config_path = kSource + "/examples/printer.cfg";
  options.gcode_path = kSource + "/examples/square.gcode";
  options.virtual_clock = true;  // the placement is the same; the job takes milliseconds
  std::ostringstream log;
  const RunSummary s = run_job(options, log);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  // The example's [rt]: host_priority 60 (default), host_cpus 0. Without the privilege the fallback is
  // named and warned about.
  if (s.host_thread.find("(not real-time)") == std::string::npos) {
    EXPECT_EQ(s.host_thread, "rtstep-host SCHED_FIFO 60 on CPUs 0");
  } else {
    EXPECT_FALSE(s.warnings.empty());
  }
  ASSERT_EQ(s.threads.size(), 1u);
  EXPECT_EQ(s.threads[0].name, "rtstep-exec");
  EXPECT_EQ(s.threads[0].note, "times are step-edge lateness (" + std::to_string(s.lateness.edges) + " edges)");
  EXPECT_EQ(s.threads[0].max_time_ns, s.lateness.max_ns);
  const std::string text = s.to_text();
  EXPECT_NE(text.find("host thread: " + s.host_thread), std::string::npos) << text;
  EXPECT_NE(text.find("rtstep-exec"), std::string::npos) << text;
  EXPECT_EQ(s.to_json()["threads"]["table"][0]["name"], "rtstep-exec");

  char name_after[16] = {};
  pthread_getname_np(pthread_self(), name_after, sizeof name_after);
  EXPECT_STREQ(name_after, name_before);
  EXPECT_EQ(sched_getscheduler(0), policy_before);
}

TEST(RunThreads, AnInconsistentHierarchyIsAConfigError) {
  std::ostringstream cfg;
  {
    std::ifstream in(kSource + "/examples/printer.cfg");
    cfg << in.rdbuf();
  }
  const auto path = std::filesystem::temp_directory_path() / ("rtstep-threads-" + std::to_string(::getpid()) + ".cfg");
  std::ofstream(path) << cfg.str() << "\n[rt]\nhost_priority: 90\n";
  RunOptions options;
  options.config_path = path.string();
  options.gcode_path = kSource + "/examples/square.gcode";
  options.virtual_clock = true;
  std::ostringstream log;
  const RunSummary s = run_job(options, log);
  std::filesystem::remove(path);
  EXPECT_EQ(s.exit_code, ExitCode::kUsage);
  EXPECT_NE(s.error.find("host_priority"), std::string::npos) << s.error;
}

}  // namespace
}  // namespace rtstep::cli
