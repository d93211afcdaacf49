#pragma once
// The ring of an embedded deployment (DESIGN.md §2): this process creates it and runs the executor as one
// of its own threads, still talking through the ring. Used by `rtstep run` and `rtstep serve`. Init only.

#include <cstdint>
#include <ostream>
#include <string>

#include "ipc/ipc.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

struct EmbeddedRings {
  ipc::SegmentRing producer;  // the host's end
  ipc::SegmentRing consumer;  // the executor's end (the executor keeps a reference: do not move it after)
};

// Creates /<prefix><pid> and attaches to it. Rings of earlier processes of the same prefix whose creator is
// gone (kill -9, power loss of the process) would otherwise stay in /dev/shm until reboot: they are removed,
// each noted on `log` after `who` ("rtstep run: ...").
Result<EmbeddedRings> create_embedded_rings(const std::string& prefix, uint32_t capacity, const std::string& who,
                                            std::ostream& log);

}  // namespace rtstep::machine
