// Link::Session (link_session.hpp): homing through an endstop and its trsync.

#include <algorithm>

#include "mcu/link_session.hpp"

namespace rtstep::mcu {

namespace {

// Trsync reasons: the board reports back the reason the host gave it; numbered as current Klipper hosts do.
constexpr int kReasonEndstopHit = 1;
constexpr int kReasonPastEndTime = 3;

}  // namespace

void Link::Session::start_homing(const HomingRequest& r, int64_t now) {
  const McuObjects& objects = link_.objects_;
  if (homing_) return finish_homing({false, 0, {}, who() + ": a homing is already in progress"});
  if (r.endstop >= objects.endstops.size()) return finish_homing({false, 0, {}, who() + ": no endstop " + std::to_string(r.endstop)});
  for (const std::size_t s : r.steppers) {
    if (s >= steppers_.size()) return finish_homing({false, 0, {}, who() + ": no stepper " + std::to_string(s)});
  }
  const ClockSync& clock = *conn_.clock();
  const double hz = clock.nominal_hz();
  const std::string trsync = std::to_string(objects.trsync_oid(r.endstop));
  const EndstopSpec& e = objects.endstops[r.endstop];
  send_text("trsync_start oid=" + trsync + " report_clock=0 report_ticks=0 expire_reason=" + std::to_string(kReasonPastEndTime));
  for (const std::size_t s : r.steppers) {
    send_text("stepper_stop_on_trigger oid=" + std::to_string(objects.stepper_oid(s)) + " trsync_oid=" + trsync);
  }
  homing_timeout_clock_ = 0;
  set_homing_timeout(r, now);
  send_text("endstop_home oid=" + std::to_string(objects.endstop_oid(r.endstop)) +
            " clock=" + std::to_string(clock.clock_at(std::max(r.start_ns, now)) & 0xFFFFFFFF) +
            " sample_ticks=" + std::to_string(ticks_of(r.sample_ns, hz)) + " sample_count=" + std::to_string(r.sample_count) +
            " rest_ticks=" + std::to_string(ticks_of(r.rest_ns, hz)) + " pin_value=" + (e.invert ? "0" : "1") +
            " trsync_oid=" + trsync + " trigger_reason=" + std::to_string(kReasonEndstopHit));
  homing_ = r;
  homing_result_ = {};
  homing_positions_.assign(r.steppers.size(), std::nullopt);
}

// The trsync's timeout is a 32-bit clock: a long search move (a minute of a 72 MHz clock is more than 2^32
// ticks) cannot name its end at once. It is set at most kTimeoutReachTicks ahead and moved on while the
// homing runs, until it is the request's own.
void Link::Session::set_homing_timeout(const HomingRequest& r, int64_t now) {
  constexpr uint64_t kTimeoutReachTicks = uint64_t{1} << 30;
  constexpr int64_t kRenewBeforeNs = 1'000'000'000;
  const ClockSync& clock = *conn_.clock();
  const uint64_t wanted = clock.clock_at(r.timeout_ns);
  if (homing_timeout_clock_ == wanted) return;
  if (homing_timeout_clock_ != 0 && clock.host_ns_at(homing_timeout_clock_) - now > kRenewBeforeNs) return;
  homing_timeout_clock_ = std::min(wanted, clock.clock_at(now) + kTimeoutReachTicks);
  send_text("trsync_set_timeout oid=" + std::to_string(link_.objects_.trsync_oid(r.endstop)) +
            " clock=" + std::to_string(homing_timeout_clock_ & 0xFFFFFFFF));
}

// The trsync fired (switch or timeout): the board has stopped the steppers and discards their queues until a
// reset_step_clock; drop what is still held here and ask where they stopped.
void Link::Session::on_trsync(const Message& m) {
  if (!homing_ || m.integer("oid") != link_.objects_.trsync_oid(homing_->endstop) || m.integer("can_trigger") != 0) return;
  const ClockSync& clock = *conn_.clock();
  homing_result_.triggered = m.integer("trigger_reason") == kReasonEndstopHit;
  // In print time (the mapping the homing move's steps went through), so it compares with their times.
  homing_result_.trigger_ns = print_clock_->print_ns_at(clock.extend(static_cast<uint32_t>(m.integer("clock").value_or(0))));
  if (!homing_result_.triggered) homing_result_.message = who() + ": homing timed out before the endstop triggered";
  send_text("endstop_home oid=" + std::to_string(link_.objects_.endstop_oid(homing_->endstop)) +
            " clock=0 sample_ticks=0 sample_count=0 rest_ticks=0 pin_value=0 trsync_oid=0 trigger_reason=0");
  uint64_t cancelled = 0;
  for (const std::size_t s : homing_->steppers) {
    const uint8_t oid = link_.objects_.stepper_oid(s);
    cancelled += steppers_[s].queued() + moves_.drop_steps(oid);
    steppers_[s].reset();
    send_text("stepper_get_position oid=" + std::to_string(oid));
  }
  steps_waiting_ -= std::min(steps_waiting_, cancelled);
  link_.publish([&](LinkStatus& s) { s.steps_cancelled += cancelled; });
}

void Link::Session::on_position(const Message& m) {
  if (!homing_ || homing_result_.trigger_ns == 0) return;
  for (std::size_t i = 0; i < homing_->steppers.size(); ++i) {
    const std::size_t s = homing_->steppers[i];
    if (m.integer("oid") != link_.objects_.stepper_oid(s) || homing_positions_[i]) continue;
    const int64_t pos = m.integer("pos").value_or(0);
    homing_positions_[i] = link_.objects_.steppers[s].invert_dir ? -pos : pos;
  }
  if (std::any_of(homing_positions_.begin(), homing_positions_.end(), [](const auto& p) { return !p; })) return;
  for (const auto& p : homing_positions_) homing_result_.positions.push_back(*p);
  finish_homing(std::move(homing_result_));
}

void Link::Session::finish_homing(HomingResult result) {
  homing_.reset();
  std::lock_guard lock(link_.status_mutex_);
  link_.homing_result_ = std::move(result);
}

}  // namespace rtstep::mcu
