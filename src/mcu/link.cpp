// Link (link.hpp): the thread that drives one board. Link::run() opens the port and runs one Session per
// connection; a Session ends when the board restarts or goes away, and the next one starts from identify.

#include "mcu/link.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "mcu/connection.hpp"
#include "mcu/move_queue.hpp"
#include "mcu/serial_port.hpp"
#include "util/clock.hpp"

namespace rtstep::mcu {

namespace {

constexpr int64_t kMaxPollNs = 10'000'000;
constexpr int64_t kAdcStartNs = 200'000'000;   // the first ADC sample this long after configuration
constexpr int64_t kResetSettleNs = 100'000'000;  // after `reset`, before connecting again
// Trsync reasons, as Klipper's host numbers them.
constexpr int kReasonEndstopHit = 1;
constexpr int kReasonPastEndTime = 4;

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

const char* phase_name(LinkPhase phase) noexcept {
  switch (phase) {
    case LinkPhase::kConnecting: return "connecting";
    case LinkPhase::kConfiguring: return "configuring";
    case LinkPhase::kReady: return "ready";
    case LinkPhase::kShutdown: return "shutdown";
    case LinkPhase::kFailed: return "failed";
    case LinkPhase::kStopped: return "stopped";
  }
  return "?";
}

// One connection to the board, from identify to the end of the connection.
class Link::Session {
 public:
  enum class End : uint8_t { kStop, kReconnect, kRefused };

  Session(Link& link, SerialPort& port)
      : link_(link),
        port_(port),
        conn_(monotonic_ns(), ConnectionOptions{byte_time_ns(port.path(), link.options_.baud), 100'000'000,
                                                link.options_.stall_timeout_ns}) {}

  End run();

 private:
  enum class Step : uint8_t { kSynchronising, kQueryConfig, kConfigSent, kReady };

  bool pump_io();
  void handle(const Message& m, int64_t now);
  void on_synchronised();
  void on_config(const Message& m, int64_t now);
  void go_ready(const Message& config, bool configured_here, int64_t now);
  void on_adc(const Message& m);
  void on_shutdown(const Message& m);
  void start_homing(const HomingRequest& request, int64_t now);
  void on_trsync(const Message& m);
  void on_position(const Message& m);
  void finish_homing(HomingResult result);
  void apply(Posted& posted, int64_t now);
  void queue_output(const Posted::Output& o, int64_t now);
  void flush_due(int64_t now, bool all);
  void release(int64_t now);
  void send_text(const std::string& text, uint64_t req_clock = 0);
  void fail(LinkPhase phase, const std::string& message);
  int64_t next_wake(int64_t now) const;
  std::string who() const { return "MCU '" + link_.options_.name + "'"; }

  Link& link_;
  SerialPort& port_;
  Connection conn_;
  Step step_ = Step::kSynchronising;
  std::optional<End> end_;
  std::optional<ConfigPlan> plan_;
  std::optional<PrintClock> print_clock_;
  int clock_samples_ = 0;
  std::vector<StepperChannel> steppers_;
  MoveQueue moves_;
  std::vector<uint8_t> out_;  // bytes the port has not taken yet
  bool shut_down_ = false;
  int64_t reset_sent_ns_ = 0;
  uint64_t steps_waiting_ = 0;
  // The homing in progress: its request, the result being built, positions still awaited.
  std::optional<HomingRequest> homing_;
  HomingResult homing_result_;
  std::vector<std::optional<int64_t>> homing_positions_;
};

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
    if (reset_sent_ns_ != 0 && now - reset_sent_ns_ > kResetSettleNs) end_ = End::kReconnect;
    if (step_ == Step::kReady && !shut_down_) {
      flush_due(now, false);
      release(now);
    }
    if (!pump_io()) break;
    // Sleep until the next timed work, new bytes, room for pending output or posted work.
    pollfd fds[2] = {{port_.fd(), static_cast<short>(POLLIN | (out_.empty() ? 0 : POLLOUT)), 0}, {link_.wake_fd_, POLLIN, 0}};
    const int64_t wait_ns = std::clamp<int64_t>(next_wake(now) - monotonic_ns(), 0, kMaxPollNs);
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
  }
}

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
  send_text("trsync_set_timeout oid=" + trsync + " clock=" + std::to_string(clock.clock_at(r.timeout_ns) & 0xFFFFFFFF));
  send_text("endstop_home oid=" + std::to_string(objects.endstop_oid(r.endstop)) +
            " clock=" + std::to_string(clock.clock_at(std::max(r.start_ns, now)) & 0xFFFFFFFF) +
            " sample_ticks=" + std::to_string(ticks_of(r.sample_ns, hz)) + " sample_count=" + std::to_string(r.sample_count) +
            " rest_ticks=" + std::to_string(ticks_of(r.rest_ns, hz)) + " pin_value=" + (e.invert ? "0" : "1") +
            " trsync_oid=" + trsync + " trigger_reason=" + std::to_string(kReasonEndstopHit));
  homing_ = r;
  homing_result_ = {};
  homing_positions_.assign(r.steppers.size(), std::nullopt);
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
  std::lock_guard lock(link_.status_mutex_);
  link_.readings_.insert(link_.readings_.end(), readings.begin(), readings.end());
}

void Link::Session::on_shutdown(const Message& m) {
  const std::string reason = m.text("static_string_id").value_or("unknown reason");
  if (shut_down_ && m.name == "is_shutdown") return;
  shut_down_ = true;
  uint64_t lost = 0;
  for (StepperChannel& s : steppers_) lost += s.queued();
  moves_.clear();
  for (StepperChannel& s : steppers_) s.reset();
  link_.publish([&](LinkStatus& s) { s.steps_dropped += lost + steps_waiting_; });
  steps_waiting_ = 0;
  fail(LinkPhase::kShutdown, who() + " shutdown: " + reason);
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
  const uint64_t clock = print_clock_->clock_at(std::max(o.print_ns, now + link_.options_.min_output_lead_ns));
  MoveCommand c;
  c.messages.emplace_back();
  const Arg args[] = {{"oid", int64_t{link_.objects_.digital_out_oid(o.output)}},
                      {"clock", static_cast<int64_t>(clock & 0xFFFFFFFF)},
                      {"on_ticks", int64_t{on_ticks}}};
  if (Status s = conn_.dictionary().encode("queue_digital_out", args, c.messages.back()); !s) {
    return fail(LinkPhase::kFailed, who() + ": " + s.error().message);
  }
  c.req_clock = c.end_clock = clock;
  moves_.add_output(o.output, std::move(c));
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
    int64_t committed = now;
    for (const StepperChannel& s : steppers_) committed = std::max(committed, s.last_step_ns());
    print_clock_->calibrate(committed, now, clock.estimate());
  }
  uint64_t steps = 0, commands = 0, bytes = 0;
  moves_.release(clock.clock_at(now), [&](const MoveCommand& c) {
    for (const auto& m : c.messages) (void)conn_.send_encoded(m, c.req_clock);
    steps += c.steps;
    commands += c.steps != 0 ? 1 : 0;
    bytes += c.queue_step_bytes;
  });
  steps_waiting_ -= std::min(steps_waiting_, steps);
  const uint64_t waiting = steps_waiting_;
  link_.publish([&](LinkStatus& s) {
    s.steps_sent += steps;
    s.queue_step_commands += commands;
    s.queue_step_bytes += bytes;
    s.steps_waiting = waiting;
    for (const StepperChannel& ch : steppers_) s.steps_waiting += ch.queued();
    s.transmit = conn_.window().stats();
    s.invalid_bytes = conn_.parser().invalid_bytes();
    s.fitted_hz = clock.frequency_hz();
  });
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
  int64_t at = std::min(conn_.next_deadline_ns(), now + kMaxPollNs);
  if (step_ == Step::kReady) {
    for (const StepperChannel& s : steppers_) {
      if (s.queued() != 0) at = std::min(at, s.first_queued_ns() - link_.options_.flush_lead_ns);
    }
  }
  return at;
}

Link::Link(LinkOptions options, McuObjects objects) : options_(std::move(options)), objects_(std::move(objects)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Link::~Link() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Link::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void Link::stop() {
  {
    std::lock_guard lock(posted_mutex_);
    stop_ = true;
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void Link::run() {
  for (;;) {
    {
      std::lock_guard lock(posted_mutex_);
      if (stop_) break;
    }
    auto port = SerialPort::open(options_.serial, options_.baud);
    if (!port) {
      publish([&](LinkStatus& s) {
        s.phase = LinkPhase::kConnecting;
        s.message = "MCU '" + options_.name + "': " + port.error().message;
      });
      sleep_for(options_.reconnect_interval_ns);
      continue;
    }
    Session session(*this, port.value());
    const Session::End end = session.run();
    if (end == Session::End::kStop) break;
    if (end == Session::End::kRefused) {
      // Connecting again would meet the same firmware: wait for a FIRMWARE_RESTART or stop.
      for (;;) {
        sleep_for(kMaxPollNs * 10);
        std::lock_guard lock(posted_mutex_);
        if (stop_ || std::exchange(posted_.restart, false)) break;
      }
    } else {
      sleep_for(kResetSettleNs);
    }
  }
  publish([&](LinkStatus& s) { s.phase = LinkPhase::kStopped; });
}

void Link::sleep_for(int64_t ns) {
  pollfd p{wake_fd_, POLLIN, 0};
  ::poll(&p, 1, static_cast<int>(ns / 1'000'000));
  uint64_t n = 0;
  if ((p.revents & POLLIN) != 0) (void)::read(wake_fd_, &n, sizeof n);
}

void Link::post(const std::function<void(Posted&)>& add) {
  {
    std::lock_guard lock(posted_mutex_);
    add(posted_);
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
}

Link::Posted Link::take_posted() {
  std::lock_guard lock(posted_mutex_);
  return std::exchange(posted_, Posted{});
}

void Link::publish(const std::function<void(LinkStatus&)>& update) {
  {
    std::lock_guard lock(status_mutex_);
    update(status_);
  }
  status_changed_.notify_all();
}

LinkStatus Link::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

bool Link::wait_ready(int64_t timeout_ns) const {
  std::unique_lock lock(status_mutex_);
  status_changed_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] {
    return status_.phase == LinkPhase::kReady || status_.phase == LinkPhase::kFailed || status_.phase == LinkPhase::kShutdown;
  });
  return status_.phase == LinkPhase::kReady;
}

void Link::push_segments(std::span<const ipc::StepSegment> segments) {
  post([&](Posted& p) { p.segments.insert(p.segments.end(), segments.begin(), segments.end()); });
}

void Link::flush() {
  post([](Posted& p) { p.flush = true; });
}

void Link::set_output(std::size_t output, int64_t print_ns, double value) {
  post([&](Posted& p) { p.outputs.push_back({output, print_ns, value}); });
}

std::vector<AdcReading> Link::take_adc_readings() {
  std::lock_guard lock(status_mutex_);
  return std::exchange(readings_, {});
}

void Link::home(HomingRequest request) {
  {
    std::lock_guard lock(status_mutex_);
    homing_result_.reset();
  }
  post([&](Posted& p) { p.homings.push_back(std::move(request)); });
}

std::optional<HomingResult> Link::take_homing_result() {
  std::lock_guard lock(status_mutex_);
  return std::exchange(homing_result_, std::nullopt);
}

void Link::firmware_restart() {
  post([](Posted& p) { p.restart = true; });
}

void Link::emergency_stop() {
  post([](Posted& p) { p.estop = true; });
}

}  // namespace rtstep::mcu
