// The rt thread runtime (see thread.hpp).
#include "rt/thread.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "rt/sched.hpp"

namespace rtstep::rt {

namespace {

constexpr int kCapIpcLock = 14;
constexpr int kCapSysNice = 23;

// True when the calling thread's effective capability set holds `cap` (from /proc: no libcap needed).
bool has_capability(int cap) {
  std::ifstream status("/proc/thread-self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    const uint64_t bits = std::stoull(line.substr(7), nullptr, 16);
    return ((bits >> cap) & 1U) != 0;
  }
  return false;
}

std::string limit_text(rlim_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

int native_policy(Policy policy) {
  switch (policy) {
    case Policy::kFifo: return SCHED_FIFO;
    case Policy::kRoundRobin: return SCHED_RR;
    case Policy::kOther: return SCHED_OTHER;
  }
  return SCHED_OTHER;
}

// Either an error, or (when falling back is allowed) text appended to the warning.
Status refuse(const ThreadSpec& spec, Placement& placement, const std::string& what, const char* fallback) {
  if (!spec.allow_non_realtime) return Error{spec.name + ": " + what};
  if (!placement.warning.empty()) placement.warning += "; ";
  placement.warning += what + fallback;
  return Ok{};
}

Status pin(const ThreadSpec& spec) {
  if (spec.cpus.empty()) return Ok{};
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int cpu : spec.cpus) CPU_SET(cpu, &set);
  // A CPU set that cannot be used is a configuration error, never a privilege fallback.
  if (const int err = pthread_setaffinity_np(pthread_self(), sizeof set, &set); err != 0) {
    return Error{spec.name + ": pinning to CPUs " + std::to_string(spec.cpus.front()) + (spec.cpus.size() > 1 ? "..." : "") +
                 " failed: " + std::strerror(err) + " (is the CPU online and allowed by the cgroup/CPUAffinity=?)"};
  }
  return Ok{};
}

Status set_policy(const ThreadSpec& spec, Placement& placement) {
  sched_param param{};
  param.sched_priority = spec.policy == Policy::kOther ? 0 : spec.priority;
  const int err = pthread_setschedparam(pthread_self(), native_policy(spec.policy), &param);
  if (err == 0) {
    placement.realtime = spec.policy != Policy::kOther;
    return Ok{};
  }
  std::string what = std::string(policy_name(spec.policy)) + " priority " + std::to_string(spec.priority) +
                     " refused: " + std::strerror(err);
  if (err == EPERM) what += ". " + realtime_refused_help(spec.priority);
  // Suggested only when it is not already set: with it set, this is the warning it asked for.
  if (err == EPERM && !spec.allow_non_realtime) what += "; or allow_non_realtime: true in [rt] to run without it";
  return refuse(spec, placement, what, "; running as SCHED_OTHER");
}

Status set_nice(const ThreadSpec& spec, Placement& placement) {
  if (spec.policy != Policy::kOther || spec.nice == 0) return Ok{};
  // Linux keeps a nice value per thread: PRIO_PROCESS with the thread id changes only this thread.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), spec.nice) == 0) return Ok{};
  const int err = errno;
  return refuse(spec, placement,
                "nice " + std::to_string(spec.nice) + " refused: " + std::strerror(err) +
                    " (negative nice needs CAP_SYS_NICE or RLIMIT_NICE: LimitNICE= in the unit)",
                "; running at nice 0");
}

}  // namespace

const char* policy_name(Policy policy) noexcept {
  switch (policy) {
    case Policy::kFifo: return "SCHED_FIFO";
    case Policy::kRoundRobin: return "SCHED_RR";
    case Policy::kOther: return "SCHED_OTHER";
  }
  return "?";
}

Result<Policy> parse_policy(std::string_view text) {
  if (text == "fifo") return Policy::kFifo;
  if (text == "rr") return Policy::kRoundRobin;
  if (text == "other") return Policy::kOther;
  return Error{"unknown scheduling policy \"" + std::string(text) + "\" (expected fifo, rr or other)"};
}

Status check_thread_name(std::string_view name) {
  if (name.empty()) return Error{"thread name is empty"};
  if (name.size() > kMaxThreadNameLength) {
    return Error{"thread name \"" + std::string(name) + "\" is " + std::to_string(name.size()) +
                 " characters; Linux keeps at most 15"};
  }
  for (const char c : name) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) {
      return Error{"thread name \"" + std::string(name) + "\" contains '/' or a control character"};
    }
  }
  return Ok{};
}

Status check_thread_spec(const ThreadSpec& spec) {
  if (auto st = check_thread_name(spec.name); !st) return st;
  if (spec.policy == Policy::kOther) {
    if (spec.priority != 0) return Error{spec.name + ": SCHED_OTHER takes priority 0 (use nice)"};
    if (spec.nice < -20 || spec.nice > 19) return Error{spec.name + ": nice " + std::to_string(spec.nice) + " is outside -20..19"};
  } else if (spec.priority < 1 || spec.priority > 99) {
    return Error{spec.name + ": " + policy_name(spec.policy) + " priority " + std::to_string(spec.priority) +
                 " is outside 1..99"};
  }
  for (const int cpu : spec.cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return Error{spec.name + ": CPU " + std::to_string(cpu) + " is out of range"};
  }
  return Ok{};
}

std::string realtime_refused_help(int priority) {
  rlimit limit{};
  getrlimit(RLIMIT_RTPRIO, &limit);
  const bool cap = has_capability(kCapSysNice);
  std::string why;
  if (!cap && (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= static_cast<rlim_t>(priority))) {
    // The limit allows it and still EPERM: the RT cgroup (CONFIG_RT_GROUP_SCHED) has no runtime.
    why = "RLIMIT_RTPRIO allows it, so the process's cgroup has no real-time runtime (cpu.rt_runtime_us = 0)";
  } else if (cap) {
    why = "the process has CAP_SYS_NICE, so its cgroup has no real-time runtime (cpu.rt_runtime_us = 0)";
  } else {
    why = "RLIMIT_RTPRIO is " + limit_text(limit.rlim_cur) + " (needs >= " + std::to_string(priority) +
          ") and the process lacks CAP_SYS_NICE";
  }
  return why + ". Fixes: run as root; or LimitRTPRIO=" + std::to_string(priority) +
         " in the systemd unit (rtprio in /etc/security/limits.conf for a login shell); or "
         "`setcap cap_sys_nice+ep $(command -v rtstep)`";
}

std::string memlock_refused_help() {
  rlimit limit{};
  getrlimit(RLIMIT_MEMLOCK, &limit);
  return "RLIMIT_MEMLOCK is " + limit_text(limit.rlim_cur) + " bytes" +
         (has_capability(kCapIpcLock) ? "" : " and the process lacks CAP_IPC_LOCK") +
         ". Fixes: run as root; or LimitMEMLOCK=infinity in the systemd unit (memlock unlimited in "
         "/etc/security/limits.conf); or `setcap cap_ipc_lock+ep $(command -v rtstep)`";
}

Result<Placement> place_current_thread(const ThreadSpec& spec) {
  if (auto st = check_thread_spec(spec); !st) return st.error();
  Placement placement;
  pthread_setname_np(pthread_self(), spec.name.c_str());
  if (spec.lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    const int err = errno;
    const std::string what = std::string("mlockall refused: ") + std::strerror(err) + ". " + memlock_refused_help();
    if (auto st = refuse(spec, placement, what, " (pages may fault)"); !st) return st.error();
  }
  if (spec.prefault_stack_bytes > 0) prefault_stack(spec.prefault_stack_bytes);
  if (auto st = pin(spec); !st) return st.error();
  if (auto st = set_policy(spec, placement); !st) return st.error();
  if (auto st = set_nice(spec, placement); !st) return st.error();
  return placement;
}

Thread::~Thread() { join(); }

void Thread::join() {
  if (thread_.joinable()) thread_.join();
}

Status Thread::start(ThreadSpec spec, std::function<void()> body) {
  if (thread_.joinable()) return Error{spec.name + ": already started"};
  if (auto st = check_thread_spec(spec); !st) return st;
  struct Placed {
    Result<Placement> placement;
    pid_t tid;
  };
  std::promise<Placed> placed;
  std::future<Placed> result = placed.get_future();
  // Everything the thread needs moves into it: nothing it touches lives on this stack frame.
  thread_ = std::thread([spec = std::move(spec), body = std::move(body), p = std::move(placed)]() mutable {
    auto placement = place_current_thread(spec);
    const bool ok = placement.ok();
    p.set_value(Placed{std::move(placement), gettid()});
    if (ok) body();
  });
  Placed outcome = result.get();
  if (!outcome.placement) {
    thread_.join();
    return outcome.placement.error();
  }
  placement_ = std::move(outcome.placement).value();
  tid_ = outcome.tid;
  return Ok{};
}

}  // namespace rtstep::rt
