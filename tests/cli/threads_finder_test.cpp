// `rtstep threads` finds rtstep's processes by the names their threads carry (issue 19, item 3): in a
// /proc fixture tree, and a real `rtstep run` whose main thread is renamed rtstep-host.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "rt/proc_threads.hpp"
#include "rtstep_process.hpp"
#include "scratch_dir.hpp"

namespace rtstep::cli {
namespace {

class ThreadsFinder : public ScratchDirTest {
 protected:
  ThreadsFinder() : ScratchDirTest("rtstep-threads-finder") {}
  void task(int pid, int tid, const std::string& comm) {
    const auto dir = dir_ / std::to_string(pid) / "task" / std::to_string(tid);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "comm") << comm << '\n';
  }
};

TEST_F(ThreadsFinder, FindsEveryProcessWithAThreadNamedRtstep) {
  task(100, 100, "rtstep-host");  // `rtstep run`: its main thread (and so the process) renamed
  task(100, 101, "rtstep-exec");
  task(200, 200, "bash");
  task(300, 300, "python3");
  task(300, 301, "rtstep-api");   // a thread of another process named rtstep-...: still rtstep's
  task(400, 400, "rtstep");       // `rtstep latency` before it names anything
  task(500, 500, "rtstepper");    // not ours: the name only starts alike
  task(600, 600, "rtstep");       // the caller itself
  std::filesystem::create_directories(dir_ / "self");
  EXPECT_EQ(rt::find_rtstep_processes(dir_.string(), 600), (std::vector<pid_t>{100, 300, 400}));
}

TEST_F(ThreadsFinder, FindsARunningRtstepRun) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  // `rtstep run -` on a pipe this test holds open: it waits for G-code, with its threads named.
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  const std::string base = (dir_ / "run").string();
  const pid_t run = start_rtstep({"run", "--virtual-clock", "-q", "-c", kSource + "/examples/printer.cfg", "-"},
                                 pipe_fds[0], base + ".out", base + ".err");
  close(pipe_fds[0]);
  // Until the controller's thread has its name, rtstep-host (the executor side starts first).
  const auto has_host_thread = [&] {
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(run) + "/task", ec)) {
      if (read_all((task.path() / "comm").string()).rfind("rtstep-host", 0) == 0) return true;
    }
    return false;
  };
  bool named = false;
  for (int i = 0; i < 200 && !named; ++i) {
    named = has_host_thread();
    if (!named) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(named) << "no thread of the run became rtstep-host: " << read_all(base + ".err");
  const Outcome threads = run_rtstep({"threads", "--json", "--interval", "50"});
  EXPECT_EQ(threads.code, 0) << threads.err;
  bool found = false;
  for (const auto& p : nlohmann::json::parse(threads.out.empty() ? "[]" : threads.out)) {
    if (p.at("pid").get<pid_t>() != run) continue;
    found = true;
    std::set<std::string> names;
    for (const auto& t : p.at("threads")) names.insert(t.at("name").get<std::string>());
    EXPECT_TRUE(names.count("rtstep-host") == 1 && names.count("rtstep-exec") == 1) << p.dump();
  }
  EXPECT_TRUE(found) << threads.out << threads.err;
  (void)!::write(pipe_fds[1], "G28\n", 4);
  close(pipe_fds[1]);  // end of the G-code: the run finishes
  EXPECT_EQ(wait_status(run), 0) << read_all(base + ".err");
}

TEST(ThreadsCommand, NoRtstepProcessIsSaidPlainly) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  const Outcome o = run_rtstep({"threads", "--name", "no-such-process-xyz"});
  EXPECT_EQ(o.code, exit_code::kUsage);
  EXPECT_EQ(o.err, "rtstep threads: no process matches no-such-process-xyz\n");
}

}  // namespace
}  // namespace rtstep::cli
