// Link::Session (link_session.hpp): one connection — the loop, configuration, steps, outputs, ADC reports
// and shutdowns.

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "mcu/link_session.hpp"
#include "util/clock.hpp"

namespace rtstep::mcu {

namespace {

constexpr int64_t kAdcStartNs = 200'000'000;  // the first ADC sample this long after configuration
// Steppers idle for this long let the print clock jump to the clock estimate: far more than any correction,
// so a step converted after the jump still comes after the last one.
constexpr int64_t kIdleNs = 100'000'000;

// Wire time of a byte: a UART carries 10 bits per byte at the baud rate; USB CDC-ACM devices and
// pseudo-terminals move whole buffers and have none.
int64_t byte_time_ns(const std::string& path, uint32_t baud) {
  char* real = ::realpath(path.c_str(), nullptr);
  const std::string target = real != nullptr ? real : path;
  std::free(real);
  if (target.rfind("/dev/ttyACM", 0) == 0 || target.rfind("/dev/pts/", 0) == 0) return 0;
  return static_cast<int64_t>(10e9 / baud);
}


}  // namespace

Link::Session::Session(Link& link, SerialPort& port)
    : link_(link),
      port_(port),
      conn_(monotonic_ns(), ConnectionOptions{byte_time_ns(port.path(), link.options_.baud), 100'000'000,
                                              link.options_.stall_timeout_ns}) {}

Link::Session::End Link::Session::run() {
  link_.publish([&](LinkStatus& s) {
    s.phase = LinkPhase::kConnecting;
    s.message = who() + ": connecting on " + port_.path();
  });
  while (!end_) {
    const int64_t now = monotonic_ns();
    Posted posted = link_.take_posted();
    if (!pump_io()) break;
    for (const Message& m : conn_.take_messages()) handle(m, now);
    if (end_) break;
    if (conn_.state() == LinkState::kFailed) {
      fail(conn_.refused() ? LinkPhase::kFailed : LinkPhase::kConnecting, who() + ": " + conn_.failure());
      end_ = conn_.refused() ? End::kRefused : End::kReconnect;
      break;
    }
    if (conn_.state() == LinkState::kReady && step_ == Step::kSynchronising) on_synchronised();
    apply(posted, now);
    if (reset_sent_ns_ != 0 && now - reset_sent_ns_ > kLinkResetSettleNs) end_ = End::kReconnect;
    if (step_ == Step::kReady && !shut_down_) {
      if (homing_ && homing_result_.trigger_ns == 0) set_homing_timeout(*homing_, now);
      flush_due(now, false);
      release(now);
    }
    if (!pump_io()) break;
    // Sleep until the next timed work, new bytes, room for pending output or posted work.
    pollfd fds[2] = {{port_.fd(), static_cast<short>(POLLIN | (out_.empty() ? 0 : POLLOUT)), 0}, {link_.wake_fd_, POLLIN, 0}};
    const int64_t wait_ns = std::clamp<int64_t>(next_wake(now) - monotonic_ns(), 0, kLinkMaxPollNs);
    ::poll(fds, 2, static_cast<int>((wait_ns + 999'999) / 1'000'000));
    if ((fds[1].revents & POLLIN) != 0) {
      uint64_t n = 0;
      (void)::read(link_.wake_fd_, &n, sizeof n);
    }
    std::lock_guard lock(link_.posted_mutex_);
    if (link_.stop_) end_ = End::kStop;
  }
  if (homing_) finish_homing({false, 0, {}, who() + ": the connection ended during the homing"});
  // What the board had not taken yet is lost with the connection.
  uint64_t lost = steps_waiting_;
  for (const StepperChannel& s : steppers_) lost += s.queued();
  link_.publish([&](LinkStatus& s) {
    s.steps_dropped += lost;
    s.steps_waiting = 0;
  });
  return end_.value_or(End::kReconnect);
}

// Reads what the port has, then writes what the connection has to send. False when the port failed. The
// clock is read afresh for each: the clock samples take the times of the bytes, and work done since the
// loop began (inflating the dictionary, compressing steps) must not shift them.
bool Link::Session::pump_io() {
  uint8_t buffer[4096];
  for (;;) {
    auto n = port_.read(buffer);
    if (!n) {
      fail(LinkPhase::kConnecting, who() + ": " + n.error().message);
      end_ = End::kReconnect;
      return false;
    }
    if (*n == 0) break;
    conn_.receive(std::span<const uint8_t>(buffer, *n), monotonic_ns());
  }
  std::vector<uint8_t> fresh;
  if (conn_.poll(monotonic_ns(), fresh)) {
    port_.flush_output();  // a retransmission resends all of it
    out_.clear();
  }
  out_.insert(out_.end(), fresh.begin(), fresh.end());
  while (!out_.empty()) {
    auto n = port_.write(out_);
    if (!n) {
      fail(LinkPhase::kConnecting, who() + ": " + n.error().message);
      end_ = End::kReconnect;
      return false;
    }
    if (*n == 0) break;
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  return true;
}

void Link::Session::handle(const Message& m, int64_t now) {
  if (m.name == "starting") {
    if (reset_sent_ns_ == 0) {
      link_.publish([&](LinkStatus& s) { ++s.restarts; });
      fail(LinkPhase::kConnecting, who() + " restarted by itself; everything queued was lost, connecting again");
    }
    end_ = End::kReconnect;
  } else if (m.name == "config") {
    on_config(m, now);
  } else if (m.name == "shutdown" || m.name == "is_shutdown") {
    on_shutdown(m);
  } else if (m.name == "analog_in_state") {
    on_adc(m);
  } else if (m.name == "trsync_state") {
    on_trsync(m);
  } else if (m.name == "stepper_position") {
    on_position(m);
    on_queried_position(m);
  }
}

// The clock is known: build the configuration from the dictionary and ask the board for its own.
void Link::Session::on_synchronised() {
  const Dictionary& d = conn_.dictionary();
  auto plan = build_config(d, link_.objects_);
  if (!plan) {
    fail(LinkPhase::kFailed, who() + ": " + plan.error().message);
    end_ = End::kRefused;
    return;
  }
  plan_ = std::move(plan).value();
  const double hz = conn_.clock()->nominal_hz();
  const auto max_error = static_cast<uint32_t>(static_cast<double>(link_.options_.max_step_error_ns) * hz * 1e-9);
  for (std::size_t i = 0; i < link_.objects_.steppers.size(); ++i) {
    steppers_.emplace_back(d, link_.objects_.stepper_oid(i), link_.objects_.steppers[i], max_error);
  }
  print_clock_.emplace(conn_.clock()->estimate());
  clock_samples_ = conn_.clock()->samples();
  last_adc_.assign(link_.objects_.adcs.size(), std::nan(""));
  output_clock_.assign(link_.objects_.digital_outs.size(), 0);
  step_ = Step::kQueryConfig;
  send_text("get_config");
  link_.publish([&](LinkStatus& s) {
    s.phase = LinkPhase::kConfiguring;
    s.message = who() + ": configuring";
    s.firmware_version = d.version();
    s.mcu_type = d.constant("MCU").value_or("");
    s.nominal_hz = hz;
    s.config_crc = plan_->crc;
  });
}

void Link::Session::on_config(const Message& m, int64_t now) {
  const bool is_config = m.integer("is_config").value_or(0) != 0;
  const bool is_shutdown = m.integer("is_shutdown").value_or(0) != 0;
  const auto crc = static_cast<uint32_t>(m.integer("crc").value_or(0));
  if (step_ == Step::kQueryConfig) {
    if (is_shutdown) {
      shut_down_ = true;
      return fail(LinkPhase::kShutdown, who() + " is shut down from before: FIRMWARE_RESTART to clear it");
    }
    if (!is_config) {
      for (const std::string& c : plan_->commands) send_text(c);
      send_text("finalize_config crc=" + std::to_string(plan_->crc));
      send_text("get_config");
      step_ = Step::kConfigSent;
      return;
    }
    if (crc != plan_->crc) {
      return fail(LinkPhase::kFailed, who() + " is configured differently (CRC " + std::to_string(crc) + ", ours " +
                                          std::to_string(plan_->crc) + "): FIRMWARE_RESTART to configure it again");
    }
    return go_ready(m, false, now);
  }
  if (step_ == Step::kConfigSent) {
    if (!is_config || crc != plan_->crc) return fail(LinkPhase::kFailed, who() + " did not take the configuration");
    go_ready(m, true, now);
  }
}

void Link::Session::go_ready(const Message& config, bool configured_here, int64_t now) {
  const auto move_count = static_cast<uint32_t>(config.integer("move_count").value_or(0));
  const ClockSync& clock = *conn_.clock();
  moves_.configure(move_count, link_.objects_.digital_outs.size(), clock.frequency_hz() * 1e-9);
  // The ADCs start sampling a little after now, on every connection (the query is not configuration).
  const double hz = clock.nominal_hz();
  const auto adc_max = conn_.dictionary().constant_number("ADC_MAX");
  const double adc_full = adc_max ? *adc_max : 4095.0;
  for (std::size_t i = 0; i < link_.objects_.adcs.size(); ++i) {
    const AdcSpec& a = link_.objects_.adcs[i];
    const double full = adc_full * a.sample_count;
    const auto lo = static_cast<int64_t>(std::clamp(std::floor(a.min_value * full), 0.0, 65535.0));
    const auto hi = static_cast<int64_t>(std::clamp(std::ceil(a.max_value * full), 0.0, 65535.0));
    const uint64_t start = clock.clock_at(now + kAdcStartNs);
    std::string q = "query_analog_in oid=" + std::to_string(link_.objects_.adc_oid(i)) + " clock=" +
                    std::to_string(start & 0xFFFFFFFF) + " sample_ticks=" + std::to_string(ticks_of(a.sample_ns, hz)) +
                    " sample_count=" + std::to_string(a.sample_count) + " rest_ticks=" + std::to_string(ticks_of(a.report_ns, hz));
    if (plan_->batched_adc) q += " bytes_per_report=" + std::to_string(2 * std::max<int>(1, a.batch));
    q += " min_value=" + std::to_string(lo) + " max_value=" + std::to_string(hi) +
         " range_check_count=" + std::to_string(a.range_check_count);
    send_text(q);
  }
  step_ = Step::kReady;
  link_.publish([&](LinkStatus& s) {
    s.phase = LinkPhase::kReady;
    s.message = who() + ": ready";
    ++s.generation;
    s.move_count = move_count;
    s.configured_here = configured_here;
  });
}

void Link::Session::on_adc(const Message& m) {
  const auto oid = m.integer("oid"), next = m.integer("next_clock");
  if (!oid || !next || step_ != Step::kReady) return;
  const auto first = static_cast<int64_t>(link_.objects_.adc_oid(0));
  if (*oid < first || *oid >= first + static_cast<int64_t>(link_.objects_.adcs.size())) return;
  const auto index = static_cast<std::size_t>(*oid - first);
  const AdcSpec& a = link_.objects_.adcs[index];
  std::vector<uint32_t> sums;
  if (const auto values = m.text("values")) {
    for (std::size_t i = 0; i + 1 < values->size(); i += 2) {
      sums.push_back(static_cast<uint8_t>((*values)[i]) | (uint32_t{static_cast<uint8_t>((*values)[i + 1])} << 8));
    }
  } else if (const auto value = m.integer("value")) {
    sums.push_back(static_cast<uint32_t>(*value));
  }
  const ClockSync& clock = *conn_.clock();
  const double hz = clock.nominal_hz();
  const auto adc_max = conn_.dictionary().constant_number("ADC_MAX");
  const double full = (adc_max ? *adc_max : 4095.0) * a.sample_count;
  const uint64_t next_clock = clock.extend(static_cast<uint32_t>(*next));
  const uint64_t rest = ticks_of(a.report_ns, hz), sampling = uint64_t{ticks_of(a.sample_ns, hz)} * (a.sample_count - 1u);
  std::vector<AdcReading> readings;
  for (std::size_t i = 0; i < sums.size(); ++i) {
    const uint64_t begin = next_clock - (sums.size() - i) * rest;
    readings.push_back({index, clock.host_ns_at(begin + sampling), sums[i] / full});
  }
  if (!readings.empty()) last_adc_[index] = readings.back().value;
  std::lock_guard lock(link_.status_mutex_);
  ++link_.status_.adc_reports;
  link_.readings_.insert(link_.readings_.end(), readings.begin(), readings.end());
}

// The input an "ADC out of range" shutdown is about. The board does not say: the one whose last reading lies
// outside its limits (the board counts range_check_count of them before it shuts down), else the one whose
// last reading is nearest a limit (a range_check_count of 1 sends no reading out of range first).
std::optional<std::size_t> Link::Session::adc_out_of_range() const {
  std::optional<std::size_t> best;
  double best_margin = 0;
  for (std::size_t i = 0; i < last_adc_.size(); ++i) {
    if (std::isnan(last_adc_[i])) continue;
    const AdcSpec& a = link_.objects_.adcs[i];
    const double margin = std::min(last_adc_[i] - a.min_value, a.max_value - last_adc_[i]);
    if (!best || margin < best_margin) {
      best = i;
      best_margin = margin;
    }
  }
  if (!best && link_.objects_.adcs.size() == 1) best = 0;
  return best;
}

void Link::Session::on_shutdown(const Message& m) {
  const std::string reason = m.text("static_string_id").value_or("unknown reason");
  if (shut_down_ && m.name == "is_shutdown") return;
  shut_down_ = true;
  uint64_t lost = 0;
  for (StepperChannel& s : steppers_) lost += s.queued();
  moves_.clear();
  for (StepperChannel& s : steppers_) s.reset();
  std::string message = who() + " shutdown: " + reason;
  std::optional<std::size_t> adc;
  if (reason == "ADC out of range" && (adc = adc_out_of_range())) message += " (" + link_.objects_.adcs[*adc].name + ")";
  link_.publish([&](LinkStatus& s) {
    s.steps_dropped += lost + steps_waiting_;
    s.adc_out_of_range = adc;
  });
  steps_waiting_ = 0;
  fail(LinkPhase::kShutdown, message);
}

void Link::Session::apply(Posted& posted, int64_t now) {
  if (posted.restart) {
    if (conn_.state() != LinkState::kReady) {
      link_.publish([&](LinkStatus& s) { s.message = who() + ": FIRMWARE_RESTART needs a connected board"; });
    } else if (!link_.options_.restart_by_command || conn_.dictionary().find("reset") == nullptr) {
      link_.publish([&](LinkStatus& s) { s.message = who() + ": the firmware has no reset command; restart the board by hand"; });
    } else {
      (void)conn_.send("reset", std::span<const Arg>(), 0);
      reset_sent_ns_ = now;
      link_.publish([&](LinkStatus& s) {
        ++s.restarts;
        s.phase = LinkPhase::kConnecting;
        s.message = who() + ": FIRMWARE_RESTART";
      });
    }
  }
  if (posted.estop && conn_.dictionary().find("emergency_stop") != nullptr) (void)conn_.send("emergency_stop", std::span<const Arg>(), 0);
  const bool ready = step_ == Step::kReady && !shut_down_ && reset_sent_ns_ == 0;
  uint64_t dropped = 0;
  std::string error;
  for (const ipc::StepSegment& seg : posted.segments) {
    if (!ready || seg.stepper >= steppers_.size()) {
      dropped += seg.count;
      if (ready) error = who() + ": no stepper " + std::to_string(seg.stepper);
      continue;
    }
    std::vector<MoveCommand> commands;
    if (Status s = steppers_[seg.stepper].push(seg, *print_clock_, commands); !s) {
      error = who() + ": " + s.error().message;
      dropped += seg.count;
    }
    for (MoveCommand& c : commands) {
      steps_waiting_ += c.steps;
      moves_.add_steps(std::move(c));
    }
  }
  for (const HomingRequest& r : posted.homings) {
    if (ready) {
      start_homing(r, now);
    } else {
      finish_homing({false, 0, {}, who() + " is not ready"});
    }
  }
  if (ready && posted.positions) start_position_query();
  if (ready) {
    for (const Posted::Output& o : posted.outputs) queue_output(o, now);
    if (posted.flush) flush_due(now, true);
  }
  if (dropped != 0 || !error.empty()) {
    link_.publish([&](LinkStatus& s) {
      s.steps_dropped += dropped;
      if (!error.empty()) s.message = error;
    });
  }
}

void Link::Session::queue_output(const Posted::Output& o, int64_t now) {
  if (o.output >= link_.objects_.digital_outs.size()) return;
  const DigitalOutSpec& spec = link_.objects_.digital_outs[o.output];
  const double value = std::clamp(spec.invert ? 1 - o.value : o.value, 0.0, 1.0);
  const uint32_t cycle = ticks_of(spec.cycle_ns, conn_.clock()->nominal_hz());
  const uint32_t on_ticks = cycle > 0 ? static_cast<uint32_t>(std::lround(value * cycle)) : (value >= 0.5 ? 1u : 0u);
  // Each output's updates run in order on the board, each sent once the one before has taken effect: an update
  // is timed at least min_output_lead after the previous one, so it still has that lead when it leaves.
  const int64_t lead = link_.options_.min_output_lead_ns;
  const uint64_t lead_ticks = ticks_of(lead, conn_.clock()->nominal_hz());
  const uint64_t previous = output_clock_[o.output];
  uint64_t clock = print_clock_->clock_at(std::max(o.print_ns, now + lead));
  if (previous != 0) clock = std::max(clock, previous + lead_ticks);
  output_clock_[o.output] = clock;
  MoveCommand c;
  c.messages.emplace_back();
  // A hardware PWM output takes its duty in PWM_MAX units; a software one, on-ticks of its cycle.
  const bool pwm_out = plan_->pwm_out[o.output];
  const Arg args[] = {{"oid", int64_t{link_.objects_.digital_out_oid(o.output)}},
                      {"clock", static_cast<int64_t>(clock & 0xFFFFFFFF)},
                      pwm_out ? Arg{"value", std::lround(value * plan_->pwm_max)} : Arg{"on_ticks", int64_t{on_ticks}}};
  if (Status s = conn_.dictionary().encode(pwm_out ? "queue_pwm_out" : "queue_digital_out", args, c.messages.back()); !s) {
    return fail(LinkPhase::kFailed, who() + ": " + s.error().message);
  }
  c.req_clock = c.end_clock = clock;
  const std::size_t bytes = c.messages.back().size();
  moves_.add_output(o.output, std::move(c));
  link_.publish([&](LinkStatus& s) {
    ++s.output_commands;
    s.output_bytes += bytes;
  });
}

// Compresses the steppers whose oldest queued step is due within the flush lead (all of them with `all`).
void Link::Session::flush_due(int64_t now, bool all) {
  for (StepperChannel& s : steppers_) {
    if (s.queued() == 0 || (!all && s.first_queued_ns() > now + link_.options_.flush_lead_ns)) continue;
    std::vector<MoveCommand> commands;
    if (Status st = s.flush(commands); !st) {
      fail(LinkPhase::kFailed, who() + ": " + st.error().message);
      return;
    }
    for (MoveCommand& c : commands) {
      steps_waiting_ += c.steps;
      moves_.add_steps(std::move(c));
    }
  }
}

// Hands the commands the board has room for to the transport; re-aims the print clock after each new
// clock sample.
void Link::Session::release(int64_t now) {
  const ClockSync& clock = *conn_.clock();
  if (clock.samples() != clock_samples_) {
    clock_samples_ = clock.samples();
    int64_t last_step = 0;
    for (const StepperChannel& s : steppers_) last_step = std::max(last_step, s.last_step_ns());
    if (last_step + kIdleNs < now) {
      // Idle: no step is committed near now, so the mapping may take the estimate as it is (a young
      // fit from the burst is replaced by a better one before motion starts).
      print_clock_.emplace(clock.estimate());
    } else {
      print_clock_->calibrate(std::max(last_step, now), now, clock.estimate());
    }
  }
  uint64_t steps = 0, commands = 0, bytes = 0;
  std::vector<uint64_t> per_stepper(steppers_.size(), 0);
  moves_.release(clock.clock_at(now), [&](const MoveCommand& c) {
    for (const auto& m : c.messages) (void)conn_.send_encoded(m, c.req_clock);
    steps += c.steps;
    if (c.stepper >= 0 && static_cast<std::size_t>(c.stepper) < per_stepper.size()) per_stepper[static_cast<std::size_t>(c.stepper)] += c.steps;
    commands += c.steps != 0 ? 1 : 0;
    bytes += c.queue_step_bytes;
  });
  steps_waiting_ -= std::min(steps_waiting_, steps);
  const uint64_t waiting = steps_waiting_;
  link_.publish([&](LinkStatus& s) {
    s.steps_sent += steps;
    for (std::size_t i = 0; i < per_stepper.size(); ++i) s.stepper_steps_sent[i] += per_stepper[i];
    s.queue_step_commands += commands;
    s.queue_step_bytes += bytes;
    s.steps_waiting = waiting;
    for (const StepperChannel& ch : steppers_) s.steps_waiting += ch.queued();
    s.outputs_waiting = moves_.outputs_waiting();
    s.transmit = conn_.window().stats();
    s.invalid_bytes = conn_.parser().invalid_bytes();
    s.fitted_hz = clock.frequency_hz();
  });
}

// query_positions(): one stepper_get_position per stepper; answered once every stepper has reported.
void Link::Session::start_position_query() {
  queried_positions_.assign(steppers_.size(), std::nullopt);
  for (std::size_t i = 0; i < steppers_.size(); ++i) {
    send_text("stepper_get_position oid=" + std::to_string(link_.objects_.stepper_oid(i)));
  }
  if (steppers_.empty()) {
    std::lock_guard lock(link_.status_mutex_);
    link_.positions_.emplace();
  }
}

void Link::Session::on_queried_position(const Message& m) {
  if (queried_positions_.empty()) return;
  for (std::size_t i = 0; i < queried_positions_.size(); ++i) {
    if (m.integer("oid") != link_.objects_.stepper_oid(i) || queried_positions_[i]) continue;
    const int64_t pos = m.integer("pos").value_or(0);
    queried_positions_[i] = link_.objects_.steppers[i].invert_dir ? -pos : pos;
  }
  if (std::any_of(queried_positions_.begin(), queried_positions_.end(), [](const auto& p) { return !p; })) return;
  std::vector<int64_t> positions;
  for (const auto& p : queried_positions_) positions.push_back(*p);
  queried_positions_.clear();
  std::lock_guard lock(link_.status_mutex_);
  link_.positions_ = std::move(positions);
}

void Link::Session::send_text(const std::string& text, uint64_t req_clock) {
  std::vector<uint8_t> message;
  if (Status s = conn_.dictionary().encode_text(text, message); !s) return fail(LinkPhase::kFailed, who() + ": " + s.error().message);
  (void)conn_.send_encoded(message, req_clock);
}

void Link::Session::fail(LinkPhase phase, const std::string& message) {
  link_.publish([&](LinkStatus& s) {
    s.phase = phase;
    s.message = message;
  });
}

int64_t Link::Session::next_wake(int64_t now) const {
  int64_t at = std::min(conn_.next_deadline_ns(), now + kLinkMaxPollNs);
  if (step_ == Step::kReady) {
    for (const StepperChannel& s : steppers_) {
      if (s.queued() != 0) at = std::min(at, s.first_queued_ns() - link_.options_.flush_lead_ns);
    }
  }
  return at;
}

}  // namespace rtstep::mcu
