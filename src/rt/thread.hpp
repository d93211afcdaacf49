#pragma once
// The rt thread runtime: threads with a name, a scheduling policy and priority, a CPU set, locked memory
// and a pre-faulted stack (DESIGN.md §1). Every rtstep thread is started through here, named
// rtstep-<role>, so `rtstep threads`, top -H and ps tell them apart.
//
// Placement order: validate, name, mlockall, pre-fault the stack, pin, then the policy. Memory is locked
// before the thread becomes real-time, so the page faults that locking causes are taken at normal
// priority. A refused real-time policy is an error that names the missing limit and its fixes, unless the
// spec allows a non-real-time fallback: then the thread runs SCHED_OTHER and Placement::warning says why,
// for every summary to repeat.

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <future>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "util/result.hpp"

namespace rtstep::rt {

inline constexpr std::size_t kMaxThreadNameLength = 15;  // Linux keeps 16 bytes including the NUL

enum class Policy : unsigned char { kFifo, kRoundRobin, kOther };

const char* policy_name(Policy policy) noexcept;  // "SCHED_FIFO", ...
// "fifo", "rr", "other" (as chrt and systemd write them) -> Policy; anything else is an error.
Result<Policy> parse_policy(std::string_view text);

struct ThreadSpec {
  std::string name;                     // at most 15 characters; longer is an error, never a silent cut
  Policy policy = Policy::kOther;
  int priority = 0;                     // 1..99 for kFifo / kRoundRobin; 0 for kOther
  int nice = 0;                         // kOther only: -20..19 (negative needs CAP_SYS_NICE / RLIMIT_NICE)
  std::vector<int> cpus;                // empty = keep the inherited affinity
  bool lock_memory = false;             // mlockall(MCL_CURRENT | MCL_FUTURE) (process-wide)
  std::size_t prefault_stack_bytes = 0; // stack touched before the loop (at most 512 KiB)
  bool allow_non_realtime = false;      // a refused policy or mlockall: warn and run SCHED_OTHER
};

struct Placement {
  bool realtime = false;  // the requested real-time policy was obtained
  std::string warning;    // what was refused and what runs instead; "" when everything was granted
};

// Checks the name: 1..15 characters, no '/' or control characters. Non-real-time.
Status check_thread_name(std::string_view name);
// Checks the whole spec (name, priority range for the policy, nice range, CPUs). Non-real-time.
Status check_thread_spec(const ThreadSpec& spec);

// Applies `spec` to the calling thread. Errors: an invalid spec, CPUs that cannot be used, a refused
// policy or mlockall without allow_non_realtime (the message names the limit and the fixes). Init only.
Result<Placement> place_current_thread(const ThreadSpec& spec);

// The explanation appended to a refused SCHED_FIFO/RR request: which limit is missing (RLIMIT_RTPRIO,
// CAP_SYS_NICE, an RT cgroup without runtime) and the fixes. Non-real-time.
std::string realtime_refused_help(int priority);
// The same for a refused mlockall (RLIMIT_MEMLOCK, CAP_IPC_LOCK). Non-real-time.
std::string memlock_refused_help();

// A thread placed by `spec` before its body runs. Non-real-time (the body may be a real-time loop).
class Thread {
 public:
  Thread() = default;
  ~Thread();  // joins
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  // Starts the thread, waits until it is placed, then lets `body` run. On an error the thread has
  // already ended and `body` never ran.
  Status start(ThreadSpec spec, std::function<void()> body);
  void join();
  bool joinable() const noexcept { return thread_.joinable(); }
  const Placement& placement() const noexcept { return placement_; }
  pid_t tid() const noexcept { return tid_; }  // the kernel thread id (0 before start)

 private:
  std::thread thread_;
  Placement placement_;
  pid_t tid_ = 0;
};

}  // namespace rtstep::rt
