// Split mode, the host's side (see split_host.hpp).
#include "cli/split_host.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "cli/progress.hpp"
#include "util/clock.hpp"

namespace rtstep::cli {
namespace {

// Whether the host that claimed `ring` has finished its job or is gone: `rtstep rt` then makes a fresh ring.
bool job_over(const ipc::SegmentRing& ring, int32_t holder) {
  return ring.host_done() || (kill(holder, 0) != 0 && errno == ESRCH);
}

// Whether the ring's shared-memory object exists (POSIX shared memory lives in /dev/shm on Linux).
bool ring_exists(const std::string& object_name) { return ::access(("/dev/shm" + object_name).c_str(), F_OK) == 0; }

}  // namespace

Result<ipc::SegmentRing> connect_to_rt(const RunOptions& options, std::ostream& log) {
  constexpr auto kRetryPeriod = std::chrono::milliseconds(5);
  const std::string name = ipc::ring_object_name(options.connect_name);  // "rtstep" as `rtstep rt` takes it: "/rtstep"
  const int64_t give_up_ns = monotonic_ns() + static_cast<int64_t>(options.connect_wait_s * 1e9);
  std::optional<Progress> waiting;  // shows the wait for a missing ring
  if (options.connect_wait_s > 0 && !ring_exists(name)) {
    log << fmt::format("rtstep run: waiting up to {:g} s for ring {}: start `rtstep rt --ring {} --config FILE`\n",
                       options.connect_wait_s, name, name)
        << std::flush;
    waiting.emplace(log, options.log_is_terminal, elapsed_progress("waiting for ring " + name, options.connect_wait_s));
    if (options.progress) waiting->start();
  }
  for (;;) {
    auto ring = ipc::SegmentRing::attach_when_ready(name, give_up_ns - monotonic_ns());
    // The wait is over: its display ends before the claim, from which `rtstep rt` expects this host's
    // heartbeat within [rt] heartbeat_timeout (ending the display may take a tick of it).
    waiting.reset();
    if (!ring) return Error{ring.error().message + " (is `rtstep rt --ring " + name + "` running?)"};
    // One host per job: the claim is atomic, so two hosts starting together cannot both get it.
    const int32_t holder = ring->try_claim_host(getpid());
    if (holder == getpid()) {
      if (ring->stop_requested() != ipc::StopCause::kNone) return Error{"shared memory " + name + ": the ring was stopped"};
      return ring;
    }
    if (!job_over(*ring, holder) || monotonic_ns() >= give_up_ns) {
      return Error{"shared memory " + name + ": the executor is busy: host pid " + std::to_string(holder) +
                   " is attached (one host at a time; try again when its job has ended)"};
    }
    std::this_thread::sleep_for(kRetryPeriod);
  }
}

}  // namespace rtstep::cli
