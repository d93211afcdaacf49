// Thread placement (see sched.hpp). Order matters: memory is locked and the stack pre-faulted before the
// thread becomes SCHED_FIFO, so the page faults that locking causes are taken at normal priority.

#include "rt/sched.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace rtstep::rt {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Either an error, or (when falling back is allowed) text appended to the warning.
Status refuse(const RealtimeRequest& request, RealtimeResult& result, const std::string& what,
              const char* fallback) {
  if (!request.allow_non_realtime) return Error{"executor thread: " + what};
  if (!result.warning.empty()) result.warning += "; ";
  result.warning += what + fallback;
  return Ok{};
}

}  // namespace

void name_current_thread(const char* name) noexcept {
  char truncated[16] = {};
  std::strncpy(truncated, name, sizeof truncated - 1);
  pthread_setname_np(pthread_self(), truncated);
}

// noinline: the buffer must be a real frame below the caller's, not folded into it.
[[gnu::noinline]] void prefault_stack(std::size_t bytes) noexcept {
  constexpr std::size_t kMax = 512 * 1024;
  constexpr std::size_t kPage = 4096;
  unsigned char buffer[kMax];
  for (std::size_t i = 0; i < bytes && i < kMax; i += kPage) buffer[i] = 0;
  // An empty asm that may read the buffer: the stores above cannot be optimised away.
  asm volatile("" : : "r"(buffer) : "memory");
}

Result<RealtimeResult> make_current_thread_realtime(const RealtimeRequest& request) {
  RealtimeResult result;
  if (request.lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    const int err = errno;
    if (auto st = refuse(request, result, "mlockall failed: " + errno_text(err), " (pages may fault)"); !st) {
      return st.error();
    }
  }
  if (!request.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (const int cpu : request.cpus) {
      if (cpu < 0 || cpu >= CPU_SETSIZE) return Error{"executor thread: CPU " + std::to_string(cpu) + " out of range"};
      CPU_SET(cpu, &set);
    }
    // A CPU set that cannot be used is a configuration error, never a privilege fallback.
    if (const int err = pthread_setaffinity_np(pthread_self(), sizeof set, &set); err != 0) {
      return Error{"executor thread: pinning to the configured CPUs failed: " + errno_text(err)};
    }
  }
  sched_param param{};
  param.sched_priority = request.priority;
  if (const int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param); err != 0) {
    const std::string what = "SCHED_FIFO priority " + std::to_string(request.priority) +
                             " refused: " + errno_text(err);
    if (auto st = refuse(request, result, what, "; running as SCHED_OTHER"); !st) return st.error();
    return result;
  }
  result.realtime = true;
  return result;
}

}  // namespace rtstep::rt
