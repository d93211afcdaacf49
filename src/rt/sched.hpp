#pragma once
// Thread placement for the executor thread: memory locking, CPU affinity and SCHED_FIFO. A thin layer over
// the thread runtime (thread.hpp: place_current_thread), kept for the executor's call site; new code uses
// thread.hpp directly. Everything here is init only: it runs on the thread being set up, before its loop.

#include <span>
#include <string>

#include "util/result.hpp"

namespace rtstep::rt {

struct RealtimeRequest {
  int priority = 80;               // SCHED_FIFO priority, 1..99
  std::span<const int> cpus;       // empty = leave the affinity alone
  bool lock_memory = true;         // mlockall(MCL_CURRENT | MCL_FUTURE)
  bool allow_non_realtime = true;  // a refused mlockall / SCHED_FIFO is a warning instead of an error
};

struct RealtimeResult {
  bool realtime = false;  // SCHED_FIFO obtained
  std::string warning;    // what was refused and what runs instead ("" when everything was granted)
};

// Names the calling thread (at most 15 characters are kept). Init only.
void name_current_thread(const char* name) noexcept;

// Touches `bytes` of stack below the caller so the loop never takes a page fault on its stack. Init only.
void prefault_stack(std::size_t bytes) noexcept;

// Applies the request to the calling thread (its name is left alone). Errors: a CPU that cannot be used,
// or a refused mlockall / SCHED_FIFO when allow_non_realtime is false; a refusal names the missing limit
// and the fixes (thread.hpp: realtime_refused_help). Init only.
Result<RealtimeResult> make_current_thread_realtime(const RealtimeRequest& request);

}  // namespace rtstep::rt
