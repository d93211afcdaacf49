#pragma once
// The host's side of split mode (`rtstep run --connect NAME`, DESIGN.md §2): attaching to the ring of a
// running `rtstep rt` (the steps its executor has written: machine/split_steps.hpp). Non-real-time.

#include <ostream>

#include "cli/run.hpp"
#include "ipc/ipc.hpp"
#include "util/result.hpp"

namespace rtstep::cli {

// Attaches to the ring of `rtstep rt --ring options.connect_name` and claims it as its one host. Waits up to
// options.connect_wait_s for a ring that is not there yet, still being created, or still held by a job that
// is over. A ring that does not exist is said on `log` at once, and (options.progress) the wait shows as
// progress until it ends. Errors: the wait ran out, the ring is refused (stale, busy, another version or
// user's) or was stopped; each names the ring.
Result<ipc::SegmentRing> connect_to_rt(const RunOptions& options, std::ostream& log);

}  // namespace rtstep::cli
