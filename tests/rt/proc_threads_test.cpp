// Reading /proc/PID/task (rt/proc_threads.hpp): a fixture tree, the live process, and the stat parser.
#include "rt/proc_threads.hpp"

#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "rt/thread.hpp"

namespace rtstep::rt {
namespace {

const std::string kFixture = std::string(RTSTEP_SOURCE_DIR) + "/tests/rt/data/proc_threads";

const ThreadInfo* find_thread(const ProcessThreads& p, const std::string& name) {
  for (const auto& t : p.threads) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

TEST(ProcThreads, ReadsAFixtureProcess) {
  const auto p = read_process_threads(kFixture, 200);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->name, "rtstep");
  ASSERT_EQ(p->threads.size(), 2U);
  const ThreadInfo& exec = p->threads[1];
  EXPECT_EQ(exec.tid, 201);
  EXPECT_EQ(exec.name, "rtstep-exec");
  EXPECT_EQ(exec.policy, "FIFO");
  EXPECT_EQ(exec.rt_priority, 80);
  EXPECT_EQ(exec.nice, 0);
  EXPECT_EQ(exec.affinity, (std::vector<int>{3}));
  EXPECT_EQ(exec.last_cpu, 3);
  EXPECT_EQ(exec.cpu_ticks, 9055U);
  EXPECT_EQ(p->threads[0].policy, "OTHER");
  const std::string table = format_process_threads(*p);
  EXPECT_NE(table.find("     201  rtstep-exec      FIFO       80    0  3            3      -\n"), std::string::npos) << table;
}

TEST(ProcThreads, ParsesACommWithSpacesAndParentheses) {
  const auto t = parse_task_stat(
      "42 (a (b) c) S 1 1 1 0 -1 0 0 0 0 0 7 8 0 0 39 19 1 0 1 1 1 1 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 5 0 0 0");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->tid, 42);
  EXPECT_EQ(t->name, "a (b) c");
  EXPECT_EQ(t->nice, 19);
  EXPECT_EQ(t->policy, "IDLE");
  EXPECT_EQ(t->cpu_ticks, 15U);
  EXPECT_EQ(parse_task_stat("42 (x) S 1 2").error().message, "only 5 fields (policy is field 41)");
  EXPECT_EQ(parse_task_stat("no comm here").error().message, "no (comm) field");
}

TEST(ProcThreads, FindsProcessesByNameOrCommandLine) {
  EXPECT_EQ(find_processes(kFixture, "klippy", 0), (std::vector<pid_t>{100}));
  EXPECT_EQ(find_processes(kFixture, "rtstep", 0), (std::vector<pid_t>{200, 300}));  // 300: bash -c "rtstep ..."
  EXPECT_EQ(find_processes(kFixture, "rtstep", 0, true), (std::vector<pid_t>{200}));
  EXPECT_EQ(find_processes(kFixture, "rtstep", 200, true), (std::vector<pid_t>{}));
}

TEST(ProcThreads, AMissingProcessIsAnError) {
  const auto p = read_process_threads(kFixture, 999);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "no process 999 (" + kFixture + "/999/comm)");
}

// A live thread of this process, started through the runtime, as /proc shows it.
TEST(ProcThreads, SeesThisProcesssThreadsWithTheirPlacementAndCpuUse) {
  std::atomic<bool> stop{false};
  ThreadSpec s;
  s.name = "rtstep-spinner";
  s.nice = 5;
  s.cpus = {0};
  Thread spinner;
  ASSERT_TRUE(spinner.start(s, [&] {
                        while (!stop.load(std::memory_order_relaxed)) {
                        }
                      }).ok());
  const auto p = sample_process_threads("/proc", getpid(), 200);
  stop.store(true);
  spinner.join();
  ASSERT_TRUE(p.ok()) << p.error().message;
  const ThreadInfo* t = find_thread(*p, "rtstep-spinner");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->tid, spinner.tid());
  EXPECT_EQ(t->policy, "OTHER");
  EXPECT_EQ(t->nice, 5);
  EXPECT_EQ(t->affinity, (std::vector<int>{0}));
  EXPECT_EQ(t->last_cpu, 0);
  EXPECT_GT(t->cpu_percent, 1.0) << "a spinning thread uses CPU time";
  EXPECT_LE(t->cpu_percent, 110.0);
}

}  // namespace
}  // namespace rtstep::rt
