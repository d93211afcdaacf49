// The thread runtime (rt/thread.hpp): names, specs, placement, and the EPERM path with real dropped
// privileges in a forked child.
#include "rt/thread.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>

namespace rtstep::rt {
namespace {

std::string current_thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

TEST(ThreadName, FifteenCharactersAtMost) {
  EXPECT_TRUE(check_thread_name("rtstep-executor").ok());  // exactly 15
  const auto st = check_thread_name("rtstep-executors");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "thread name \"rtstep-executors\" is 16 characters; Linux keeps at most 15");
  EXPECT_EQ(check_thread_name("").error().message, "thread name is empty");
  EXPECT_FALSE(check_thread_name("a/b").ok());
}

TEST(ThreadSpec, PriorityAndNiceRangesFollowThePolicy) {
  ThreadSpec s;
  s.name = "rtstep-test";
  s.policy = Policy::kFifo;
  s.priority = 0;
  EXPECT_EQ(check_thread_spec(s).error().message, "rtstep-test: SCHED_FIFO priority 0 is outside 1..99");
  s.priority = 100;
  EXPECT_FALSE(check_thread_spec(s).ok());
  s.policy = Policy::kRoundRobin;
  s.priority = 99;
  EXPECT_TRUE(check_thread_spec(s).ok());
  s.policy = Policy::kOther;
  EXPECT_EQ(check_thread_spec(s).error().message, "rtstep-test: SCHED_OTHER takes priority 0 (use nice)");
  s.priority = 0;
  s.nice = 20;
  EXPECT_EQ(check_thread_spec(s).error().message, "rtstep-test: nice 20 is outside -20..19");
  s.nice = 0;
  s.cpus = {2048};
  EXPECT_EQ(check_thread_spec(s).error().message, "rtstep-test: CPU 2048 is out of range");
}

TEST(ThreadSpec, ParsesPolicyNames) {
  EXPECT_EQ(parse_policy("fifo").value(), Policy::kFifo);
  EXPECT_EQ(parse_policy("rr").value(), Policy::kRoundRobin);
  EXPECT_EQ(parse_policy("other").value(), Policy::kOther);
  EXPECT_EQ(parse_policy("deadline").error().message,
            "unknown scheduling policy \"deadline\" (expected fifo, rr or other)");
}

TEST(Thread, StartsNamedAndPlacedBeforeTheBodyRuns) {
  ThreadSpec s;
  s.name = "rtstep-t-nice";
  s.nice = 7;
  s.cpus = {0};
  std::string seen_name;
  int seen_nice = 0;
  int seen_cpu = -1;
  Thread t;
  ASSERT_TRUE(t.start(s, [&] {
                 seen_name = current_thread_name();
                 seen_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
                 seen_cpu = sched_getcpu();
               }).ok());
  EXPECT_GT(t.tid(), 0);
  t.join();
  EXPECT_EQ(seen_name, "rtstep-t-nice");
  EXPECT_EQ(seen_nice, 7);
  EXPECT_EQ(seen_cpu, 0);
  EXPECT_FALSE(t.placement().realtime);
  EXPECT_EQ(t.placement().warning, "");
}

TEST(Thread, FifoIsObtainedOrExplained) {
  ThreadSpec s;
  s.name = "rtstep-t-fifo";
  s.policy = Policy::kFifo;
  s.priority = 10;
  s.allow_non_realtime = true;
  int policy = -1;
  Thread t;
  ASSERT_TRUE(t.start(s, [&] {
                 sched_param p{};
                 pthread_getschedparam(pthread_self(), &policy, &p);
               }).ok());
  t.join();
  if (t.placement().realtime) {
    EXPECT_EQ(policy, SCHED_FIFO);
  } else {
    EXPECT_NE(t.placement().warning.find("running as SCHED_OTHER"), std::string::npos);
  }
}

TEST(Thread, AnUnusableCpuIsAnErrorAndTheBodyNeverRuns) {
  ThreadSpec s;
  s.name = "rtstep-t-cpu";
  s.cpus = {1000};  // not online on any test machine
  s.allow_non_realtime = true;  // a CPU error is never a privilege fallback
  bool ran = false;
  Thread t;
  const auto st = t.start(s, [&] { ran = true; });
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("rtstep-t-cpu: pinning to CPUs 1000 failed: Invalid argument"), std::string::npos)
      << st.error().message;
  EXPECT_FALSE(ran);
  EXPECT_FALSE(t.joinable());
}

TEST(Thread, InvalidNameFailsBeforeAnyThreadStarts) {
  ThreadSpec s;
  s.name = "rtstep-much-too-long";
  Thread t;
  const auto st = t.start(s, [] {});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("is 20 characters"), std::string::npos);
  EXPECT_FALSE(t.joinable());
}

// Runs `body` in a forked child that has dropped root: RLIMIT_RTPRIO 0, RLIMIT_MEMLOCK 64 KiB, then
// setuid(nobody), which clears every capability. Returns what the child wrote to the pipe.
template <typename Body>
std::string in_unprivileged_child(Body body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const rlimit zero{0, 0};
    const rlimit small{64 * 1024, 64 * 1024};
    setrlimit(RLIMIT_RTPRIO, &zero);
    setrlimit(RLIMIT_MEMLOCK, &small);
    if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    const std::string out = body();
    const ssize_t written = write(fds[1], out.data(), out.size());
    _exit(written == static_cast<ssize_t>(out.size()) ? 0 : 4);
  }
  close(fds[1]);
  std::string out;
  char buffer[512];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  return out;
}

TEST(ThreadPrivilege, RefusedFifoNamesTheLimitAndTheFixes) {
  const std::string message = in_unprivileged_child([] {
    ThreadSpec s;
    s.name = "rtstep-servo";
    s.policy = Policy::kFifo;
    s.priority = 70;
    auto placed = place_current_thread(s);
    return placed.ok() ? std::string("granted") : placed.error().message;
  });
  EXPECT_NE(message.find("rtstep-servo: SCHED_FIFO priority 70 refused: Operation not permitted"), std::string::npos)
      << message;
  EXPECT_NE(message.find("RLIMIT_RTPRIO is 0 (needs >= 70) and the process lacks CAP_SYS_NICE"), std::string::npos)
      << message;
  EXPECT_NE(message.find("run as root"), std::string::npos);
  EXPECT_NE(message.find("LimitRTPRIO=70 in the systemd unit"), std::string::npos);
  EXPECT_NE(message.find("setcap cap_sys_nice+ep"), std::string::npos);
}

TEST(ThreadPrivilege, AllowedFallbackRunsAsOtherWithAWarning) {
  const std::string out = in_unprivileged_child([] {
    ThreadSpec s;
    s.name = "rtstep-servo";
    s.policy = Policy::kFifo;
    s.priority = 70;
    s.allow_non_realtime = true;
    auto placed = place_current_thread(s);
    if (!placed) return "error: " + placed.error().message;
    const int policy = sched_getscheduler(0);
    return std::string(placed->realtime ? "realtime" : "other") + (policy == SCHED_OTHER ? " SCHED_OTHER|" : " ?|") +
           placed->warning;
  });
  EXPECT_EQ(out.rfind("other SCHED_OTHER|SCHED_FIFO priority 70 refused: Operation not permitted", 0), 0U) << out;
  EXPECT_NE(out.find("; running as SCHED_OTHER"), std::string::npos) << out;
}

TEST(ThreadPrivilege, RefusedMlockallNamesMemlock) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizers replace mlockall with a no-op that always succeeds";
#endif
  const std::string message = in_unprivileged_child([] {
    ThreadSpec s;
    s.name = "rtstep-exec";
    s.lock_memory = true;
    auto placed = place_current_thread(s);
    return placed.ok() ? std::string("granted") : placed.error().message;
  });
  EXPECT_NE(message.find("rtstep-exec: mlockall refused:"), std::string::npos) << message;
  EXPECT_NE(message.find("RLIMIT_MEMLOCK is 65536 bytes and the process lacks CAP_IPC_LOCK"), std::string::npos)
      << message;
  EXPECT_NE(message.find("LimitMEMLOCK=infinity"), std::string::npos);
}

}  // namespace
}  // namespace rtstep::rt
