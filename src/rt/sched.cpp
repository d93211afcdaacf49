// Thread placement for the executor (see sched.hpp); the work is done by place_current_thread (thread.cpp).

#include "rt/sched.hpp"

#include "rt/thread.hpp"

#include <pthread.h>
#include <sched.h>

#include <cstring>

namespace rtstep::rt {

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
  // The stack grows down: the top of the buffer lies next to the frames in use, so touching from there
  // faults in the `bytes` the thread will actually grow into, not the far end of the buffer.
  for (std::size_t i = 0; i < bytes && i < kMax; i += kPage) buffer[kMax - 1 - i] = 0;
  // An empty asm that may read the buffer: the stores above cannot be optimised away.
  asm volatile("" : : "r"(buffer) : "memory");
}

Result<RealtimeResult> make_current_thread_realtime(const RealtimeRequest& request) {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  ThreadSpec spec;
  spec.name = name[0] != 0 ? name : "rtstep-exec";
  spec.policy = Policy::kFifo;
  spec.priority = request.priority;
  spec.cpus.assign(request.cpus.begin(), request.cpus.end());
  spec.lock_memory = request.lock_memory;
  spec.allow_non_realtime = request.allow_non_realtime;
  auto placed = place_current_thread(spec);
  if (!placed) return placed.error();
  return RealtimeResult{placed->realtime, std::move(placed->warning)};
}

}  // namespace rtstep::rt
