#pragma once
// SplitSteps: the steps the executor of a separate `rtstep rt` has written so far, for the host's progress
// line in split mode (DESIGN.md §2). Non-real-time.

#include <climits>
#include <cstdint>
#include <deque>
#include <mutex>

#include "ipc/ipc.hpp"
#include "stepgen/stepgen.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

// A RecordSink in front of the host's link that counts the steps of every segment passed on. The ring
// carries no live count from the other process; its executor keeps real time, so a step whose time has
// passed is taken as written, except the steps of a homing move at or after the trip its executor reported.
// settle() puts the executor's own total in place at the end. push() and homing_move() on the host thread;
// due() and settle() on any.
class SplitSteps final : public stepgen::RecordSink {
 public:
  SplitSteps(stepgen::RecordSink& link, const ipc::SegmentRing& ring) : link_(link), ring_(ring) {}
  Status push(const ipc::Record& record) override;
  void set_horizon(int64_t t_ns) override { link_.set_horizon(t_ns); }
  // A homing move's records start (true) and have all been pushed (false): HomingLink::homing_move.
  void homing_move(bool sending);
  // Steps sent whose time is at most `now_ns` (CLOCK_MONOTONIC); after settle(), its total.
  uint64_t due(int64_t now_ns);
  // The executor's own count once the job is over.
  void settle(uint64_t steps);

 private:
  struct Sent {
    ipc::StepSegment segment;
    uint32_t homing = 0;         // the homing report (ring sequence number) of its move; 0: not a homing move
    int64_t until_ns = INT64_MAX;  // its steps before this time run (a homing move's trip, once reported)
  };
  void resolve_homing();        // takes in the report of homing_ once the executor has published it
  void retire(int64_t now_ns);  // moves the segments that are over into done_
  stepgen::RecordSink& link_;
  const ipc::SegmentRing& ring_;
  std::mutex mu_;  // guards the members below
  std::deque<Sent> sent_;  // segments with a step still to come, in the order sent
  uint32_t homing_ = 0;    // the homing move being sent or waiting for its report (0: none)
  bool sending_homing_ = false;
  uint64_t done_ = 0;      // steps of the segments retired from sent_
  bool settled_ = false;
};

}  // namespace rtstep::machine
