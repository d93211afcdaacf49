// MotionSession (see motion_session.hpp).
#include "machine/motion_session.hpp"

#include <algorithm>
#include <climits>

#include "executor/executor.hpp"
#include "machine/embedded_rings.hpp"
#include "machine/executor_side.hpp"
#include "machine/host_link.hpp"
#include "machine/host_pipeline.hpp"
#include "machine/mcu_boards.hpp"
#include "machine/run_threads.hpp"
#include "machine/split_steps.hpp"
#include "util/clock.hpp"

namespace rtstep::machine {

// Declared in the order they are built; destroyed in reverse (the pipeline before the link before the ring).
struct MotionSession::Parts {
  const config::MachineConfig& machine;
  bool virtual_clock = false;
  bool simulated = true;
  std::optional<EmbeddedRings> rings;      // embedded: this process's ring and executor
  std::optional<ipc::SegmentRing> connected;  // split: the ring of `rtstep rt`
  std::shared_ptr<McuBoards> boards;  // MotionOptions::mcu (shared: ThermalLink holds it weakly)
  std::unique_ptr<ExecutorSide> side;     // embedded only
  std::optional<RunThreads> host_thread;  // the creating thread as rtstep-host, put back when the session ends
  std::unique_ptr<HostLink> link;
  std::unique_ptr<SplitSteps> split_steps;  // split: the steps `rtstep rt` has written, for progress
  HomingLink homing;
  int64_t origin_ns = 0;
  std::unique_ptr<HostPipeline> pipeline;
  bool idled = true;  // nothing queued since the last idle()
  bool finished = false;
  int64_t last_output_ns = 0;  // the latest soft-PWM command pushed (each output's commands stay in order)
  int64_t output_lead_ns = 0;  // how far ahead of now a soft-PWM command is timed (output_not_before)
  bool homing_in_flight = false;  // from a homing move's first record until its command has returned
  std::string fault;  // why the session stopped, once known

  explicit Parts(const config::MachineConfig& m) : machine(m) {}
  ~Parts() {
    pipeline.reset();
    if (link && !finished) {
      if (auto ended = link->end_stream(); !ended && side) side->request_stop();
      if (side) (void)side->finish();
      link->detach();
    }
    if (boards) boards->end();
  }
  ipc::SegmentRing& producer() { return rings ? rings->producer : *connected; }
  stepgen::RecordSink& sink() { return split_steps ? static_cast<stepgen::RecordSink&>(*split_steps) : *link; }
  // The executor's clock at the end of the motion sent so far.
  int64_t motion_end_ns() const {
    return origin_ns + static_cast<int64_t>(pipeline->toolhead().print_time() * 1e9);
  }
  bool executor_running() {
    if (side) return side->executor().running();
    ipc::ExecutorResult ended;
    return !link->executor_lost() && !connected->try_result(ended);
  }
};

namespace {

// The ring below the host: a ring and executor of this process, or the ring of `rtstep rt`.
Status attach_ring(MotionSession::Parts& parts, const MotionOptions& options, std::ostream& log) {
  const config::MachineConfig& machine = parts.machine;
  if (options.connect) {
    auto ring = options.connect();
    if (!ring) return ring.error();
    parts.connected.emplace(std::move(*ring));
    return Ok{};
  }
  const std::string prefix = options.who == "rtstep run" ? "rtstep-run-" : "rtstep-serve-";
  auto rings = create_embedded_rings(prefix, machine.rt.ring_capacity, options.who, log);
  if (!rings) return rings.error();
  parts.rings.emplace(std::move(*rings));
  ExecutorSideOptions side_options;
  side_options.virtual_clock = options.virtual_clock;
  side_options.trace_path = options.trace_path;
  side_options.hardware = options.hardware;
  side_options.pwm_outputs = options.pwm_outputs;
  auto side = ExecutorSide::start(machine, parts.rings->consumer, side_options);
  if (!side) return side.error();
  parts.side = std::move(*side);
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<MotionSession>> MotionSession::start(const config::MachineConfig& machine,
                                                            const motion::Kinematics& kinematics,
                                                            const MotionOptions& options, std::ostream& log) {
  auto parts = std::make_unique<Parts>(machine);
  parts->virtual_clock = options.virtual_clock;
  parts->simulated = options.hardware == nullptr && !options.connect;
  if (options.mcu) {
    if (options.virtual_clock) return Error{"--mcu drives real boards: it cannot run on the virtual clock"};
    auto boards = McuBoards::plan(machine, {machine.rt.buffer_time_ns / 2}, options.board_thermal);
    if (!boards) return boards.error();
    if (!*boards) return Error{machine.path + ": --mcu: no stepper, heater, fan or sensor has its pin on an [mcu] board"};
    if (auto started = (*boards)->start(); !started) return started.error();
    parts->boards = std::move(*boards);
  }
  if (auto attached = attach_ring(*parts, options, log); !attached) return attached.error();
  // The creating thread plans and feeds the ring: rtstep-host in the [rt] hierarchy. Placed after the
  // executor side has started its threads (they must not inherit the host's policy and CPUs) and before the
  // link starts its heartbeat thread, which must (one step above the host: a busy machine cannot starve it).
  if (auto placed = RunThreads::place_host(machine.rt)) parts->host_thread.emplace(std::move(*placed));
  else return placed.error();
  // Embedded on the virtual clock, the executor side relaxes its watch alike (executor_side.hpp); a
  // connected host cannot know the clock of `rtstep rt` and keeps [rt] heartbeat_timeout.
  parts->link = std::make_unique<HostLink>(parts->producer(),
                                           heartbeat_timeout_ns(machine.rt, options.virtual_clock && !options.connect));
  parts->link->set_lead(options.virtual_clock ? 0 : machine.rt.buffer_time_ns);
  // A resting executor reads the ring once per resting poll: a soft-PWM command timed that far ahead (and a
  // little more) is read before its time, so its edges are not late.
  parts->output_lead_ns =
      executor::resting_poll_for(machine.rt.buffer_time_ns, heartbeat_timeout_ns(machine.rt, options.virtual_clock)) +
      2'000'000;
  parts->link->set_diverter(parts->boards.get());
  parts->link->start();
  if (auto started = parts->link->wait_for_executor(options.cancel); !started) {
    // Nothing was sent. Ending the stream lets an executor that starts now finish an empty job, so that
    // `rtstep rt` reports a job ended by its host, not a lost host.
    (void)parts->link->end_stream();
    parts->link->detach();
    parts->finished = true;
    return started.error();
  }
  if (options.connect) {
    parts->split_steps = std::make_unique<SplitSteps>(*parts->link, parts->producer());
    // `rtstep rt --virtual-clock` writes every edge at its time without waiting: this host then keeps no
    // lead and no clock either, as embedded on the virtual clock.
    if (parts->producer().executor_virtual_clock()) {
      parts->virtual_clock = true;
      parts->link->set_lead(0);
    }
  }

  HomingLink& homing = parts->homing;
  homing.ring = &parts->producer();
  homing.sink = &parts->sink();
  homing.virtual_clock = parts->virtual_clock;
  // The sim's carriage starts where the config says; a real one is not known (nor, split, whether `rtstep
  // rt` drives real pins): G28 always moves to the switch. So it does when an extra stepper rests apart from
  // its axis ([sim] start_position_z1): its own switch is elsewhere.
  homing.trust_start_position = parts->simulated && machine.motion.sim_stepper_start.empty() && !parts->boards;
  if (McuBoards* boards = parts->boards.get()) homing.board_report = [boards] { return boards->take_homing_report(); };
  homing.buffer_time_ns = machine.rt.buffer_time_ns;
  Parts* self = parts.get();
  homing.executor_alive = [self] { return self->executor_running(); };
  homing.homing_move = [self](bool sending) {
    if (sending) self->homing_in_flight = true;
    self->link->suspend_lead(sending);
    if (self->split_steps) self->split_steps->homing_move(sending);
  };
  // Print time 0 is one lead from now: the host is that far ahead of the executor from the first step on.
  parts->origin_ns = monotonic_ns() + machine.rt.buffer_time_ns;
  parts->pipeline = std::make_unique<HostPipeline>(machine, kinematics, options.gcode_name, parts->origin_ns,
                                                   parts->sink(), nullptr, &parts->homing);
  HostLink* link = parts->link.get();
  McuBoards* boards = parts->boards.get();
  parts->pipeline->on_emergency_stop([link, boards](const std::string& why) {
    link->emergency_stop(why);
    if (boards) boards->emergency_stop();
  });
  const int64_t origin_ns = parts->origin_ns;
  const int64_t lead_ns = machine.rt.buffer_time_ns;
  if (!parts->virtual_clock) {
    parts->pipeline->follow_clock(
        [origin_ns, lead_ns] { return static_cast<double>(monotonic_ns() - origin_ns + lead_ns) / 1e9; });
  }
  // Idle from the start: the first command, whenever it comes, starts one lead after it arrives.
  parts->pipeline->idle();
  return std::unique_ptr<MotionSession>(new MotionSession(std::move(parts)));
}

MotionSession::MotionSession(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
MotionSession::~MotionSession() = default;

Status MotionSession::execute(const gcode::Command& cmd, std::string& reply) {
  if (std::string why = fault(); !why.empty()) return Error{why};
  parts_->idled = false;
  auto done = parts_->pipeline->execute(cmd, reply);
  parts_->homing_in_flight = false;  // a homing move's report has come back by now
  if (!done && !fault().empty()) return Error{fault()};
  return done;
}

void MotionSession::stop_short() {
  if (parts_->idled) return;
  parts_->idled = true;
  parts_->pipeline->stop_short();
}

Status MotionSession::replay_deferred() {
  if (!parts_->pipeline->toolhead().has_deferred()) return Ok{};
  parts_->idled = false;
  return parts_->pipeline->replay_deferred();
}

void MotionSession::discard_deferred() { parts_->pipeline->discard_deferred(); }

void MotionSession::interrupt() { parts_->pipeline->toolhead().interrupt(); }

bool MotionSession::interrupted() const { return parts_->pipeline->toolhead().interrupted(); }

Status MotionSession::resume_sending() {
  if (auto sent = parts_->pipeline->toolhead().resume_sending(); !sent) return Error{sent.error().message};
  return Ok{};
}

void MotionSession::idle() {
  if (parts_->idled) return;
  parts_->idled = true;
  parts_->pipeline->idle();
}

int64_t MotionSession::patience_ns() const {
  if (parts_->idled || parts_->virtual_clock) return parts_->idled ? INT64_MAX : 0;
  // As the G-code reader of `rtstep run`: wait until the motion sent is within half a lead of its end (the
  // toolhead's end, not the last record's time: a homing move's disarm record lies far beyond its trip).
  return parts_->motion_end_ns() - monotonic_ns() - parts_->machine.rt.buffer_time_ns / 2;
}

bool MotionSession::motion_done() {
  if (!parts_->idled) return false;
  if (!fault().empty()) return true;
  if (!parts_->virtual_clock) return monotonic_ns() >= parts_->motion_end_ns();
  // The virtual clock runs as fast as the executor writes: done when every planned step is out.
  const std::vector<StepperCount> all = counts();
  if (all.empty()) return parts_->producer().size() == 0;
  return std::all_of(all.begin(), all.end(), [](const StepperCount& c) { return c.steps >= c.planned_steps; });
}

double MotionSession::clock_print_time() const {
  if (parts_->virtual_clock) return parts_->pipeline->toolhead().print_time();
  return static_cast<double>(monotonic_ns() - parts_->origin_ns) / 1e9;
}

Result<bool> MotionSession::push_output(const ipc::Record& record) {
  auto pushed = parts_->link->push_now(record);
  if (pushed && *pushed) parts_->last_output_ns = std::max(parts_->last_output_ns, record.time_ns());
  return pushed;
}

int64_t MotionSession::output_not_before() const {
  const Parts& p = *parts_;
  // Behind the motion sent, which the executor reads first (the ring is one queue): a command timed before it
  // would take effect as late. Not behind a homing move's records, which reach far beyond its trip.
  const int64_t behind_motion = p.homing_in_flight ? 0 : p.link->last_record_ns();
  return std::max({p.last_output_ns, monotonic_ns() + p.output_lead_ns, behind_motion});
}

bool MotionSession::virtual_clock() const { return parts_->virtual_clock; }

std::optional<uint64_t> MotionSession::rising_edges(const std::string& signal) const {
  if (!parts_->side) return std::nullopt;
  return parts_->side->rising_edges(signal);
}

std::weak_ptr<BoardThermalIo> MotionSession::thermal_boards() const { return parts_->boards; }

void MotionSession::set_wait_hook(std::function<void()> hook) { parts_->link->set_wait_hook(std::move(hook)); }

void MotionSession::emergency_stop(const std::string& why) {
  parts_->link->emergency_stop(why);
  if (parts_->boards) parts_->boards->emergency_stop();
}

std::string MotionSession::fault() {
  Parts& p = *parts_;
  if (!p.fault.empty()) return p.fault;
  if (std::string board = p.boards ? p.boards->fault() : ""; !board.empty()) {
    p.fault = board;  // the root cause of what the host and the executor see after it
    p.link->emergency_stop(board);
  } else if (!p.link->stop_reason().empty()) {
    p.fault = p.link->stop_reason();
  } else if (p.side && !p.side->executor().running()) {
    // The executor's own account first: its beat stops when it ends, so "lost" would hide the cause.
    (void)p.side->finish();  // the loop has ended: this only joins the thread
    p.fault = p.side->report().message();
  } else if (ipc::ExecutorResult ended; !p.side && p.connected->try_result(ended)) {
    p.fault = ended.message;
  } else if (p.link->executor_lost()) {
    p.fault = "executor lost: no heartbeat";
  }
  return p.fault;
}

const motion::Toolhead& MotionSession::toolhead() const { return parts_->pipeline->toolhead(); }
motion::Toolhead& MotionSession::toolhead() { return parts_->pipeline->toolhead(); }

std::vector<StepperCount> MotionSession::counts() const {
  const Parts& p = *parts_;
  std::vector<StepperCount> out;
  if (!p.simulated || p.boards) return out;
  const stepgen::StepGenerator& generator = p.pipeline->generator();
  const ExecutorEndstops* endstops = p.pipeline->endstops();
  const motion::Coord& position = p.pipeline->toolhead().position();
  for (std::size_t i = 0; i < p.machine.steppers.size(); ++i) {
    const auto live = p.side->live_count(i);
    if (!live) return {};
    StepperCount c;
    c.name = p.machine.steppers[i].name;
    c.steps = live->steps;
    // As `rtstep run` counts: steps past a homing trip were never meant to run; the trip point renamed
    // position_endstop shifts the count without motion.
    c.planned_steps = generator.totals(i).steps - static_cast<uint64_t>(endstops->dropped_steps(i));
    c.position = generator.initial_steps(i) + live->position + endstops->homing_offset(i);
    c.planned_position = generator.steps_at(i, position);
    out.push_back(c);
  }
  return out;
}

MotionProgress MotionSession::progress() const {
  const Parts& p = *parts_;
  MotionProgress out;
  const int64_t now = monotonic_ns();
  out.planned_s = static_cast<double>(std::max<int64_t>(p.link->last_record_ns() - p.origin_ns, 0)) / 1e9;
  // On the real clock the executor has run the motion up to now, but never past what was sent (a host that
  // waits for input, or the end of the job, leaves it idle).
  const double elapsed_s = static_cast<double>(std::max<int64_t>(now - p.origin_ns, 0)) / 1e9;
  out.executed_s = p.virtual_clock ? out.planned_s : std::min(elapsed_s, out.planned_s);
  out.steps = p.side ? p.side->executor().steps_written() : p.split_steps->due(now);
  return out;
}

namespace {

// The executor's result and the plan, stepper by stepper.
std::vector<StepperAccount> stepper_accounts(const MotionSession::Parts& p, const ipc::ExecutorResult& result,
                                             const std::vector<std::optional<McuStepperCount>>& board_counts) {
  const stepgen::StepGenerator& generator = p.pipeline->generator();
  const ExecutorEndstops& endstops = *p.pipeline->endstops();
  std::vector<StepperAccount> out;
  for (std::size_t i = 0; i < p.machine.steppers.size(); ++i) {
    StepperAccount s;
    s.name = p.machine.steppers[i].name;
    s.steps = result.stepper_steps[i];
    // Steps a homing move generated past its trip were never meant to run; the trip point renamed
    // position_endstop shifts the count without motion (both 0 without homing).
    s.planned_steps = generator.totals(i).steps - static_cast<uint64_t>(endstops.dropped_steps(i));
    s.segments = generator.totals(i).segments;
    s.homing_offset = endstops.homing_offset(i);
    s.position = generator.initial_steps(i) + result.stepper_position[i] + s.homing_offset;
    s.planned_position = generator.steps_at(i, p.pipeline->toolhead().position());
    s.shortest_interval_ns = result.stepper_shortest_interval_ns[i];
    s.planned_interval_ns = result.stepper_planned_interval_ns[i];
    s.max_backlog = result.stepper_max_backlog[i];
    if (i < board_counts.size() && board_counts[i]) {
      s.mcu = board_counts[i]->mcu;
      s.steps = board_counts[i]->steps;
      s.position = generator.initial_steps(i) + board_counts[i]->moved + s.homing_offset;
      s.shortest_interval_ns = s.planned_interval_ns = 0;
      s.max_backlog = 0;
    }
    // Judged by the guard's bound; with the guard off ([rt] max_bunch: 0), by one full step.
    const uint32_t bound = max_bunch_steps(p.machine.rt, p.machine.steppers[i]);
    s.bunch_bound = bound > 0 ? bound : static_cast<uint32_t>(p.machine.steppers[i].microsteps);
    out.push_back(s);
  }
  return out;
}

}  // namespace

MotionAccount MotionSession::finish() {
  Parts& p = *parts_;
  MotionAccount account;
  account.split = !p.side;
  account.ring_capacity = p.producer().capacity();
  if (p.host_thread) {
    account.host_thread = p.host_thread->host_description();
    if (!p.host_thread->host_warning().empty()) account.warnings.push_back(p.host_thread->host_warning());
  }
  // The boards' account: where their steppers are, once their last step has run. A board that stopped
  // (shutdown, restart) stops the executor too, and its message leads.
  std::vector<std::optional<McuStepperCount>> board_counts;
  if (p.boards && p.link->stop_reason().rfind("emergency stop", 0) == 0) {
    p.boards->emergency_stop();  // M112, SIGINT: the boards drop what they hold, as the executor does
  } else if (p.boards) {
    auto finished = p.boards->finish();
    account.boards = p.boards->summaries();
    if (finished) {
      board_counts = std::move(*finished);
    } else {
      account.board_fault = finished.error().message;
      p.link->emergency_stop(account.board_fault);
    }
  }
  // Whatever happened, end the stream so the executor finishes what was queued and stops.
  if (auto ended = p.link->end_stream(); !ended && p.side) p.side->request_stop();
  if (p.side) {
    (void)p.side->finish();
    if (!p.side->report().warning.empty()) account.warnings.push_back(p.side->report().warning);
    account.trace_lost = p.side->trace_lost();
    account.trace_error = p.side->trace_error();
  }
  auto result = p.link->wait_result();
  if (result && p.split_steps) p.split_steps->settle(result->steps);
  p.link->detach();
  p.finished = true;
  account.stop_reason = p.link->stop_reason();
  account.moves = p.pipeline->toolhead().moves_emitted();
  account.print_time_s = p.pipeline->toolhead().print_time();
  if (!result) {
    account.lost_reason = result.error().message;
    return account;
  }
  account.result = *result;
  if (p.side) account.executor_row = rt::executor_row("rtstep-exec", p.side->executor().lateness().snapshot());
  if (result->stepper_count == p.machine.steppers.size()) account.steppers = stepper_accounts(p, *result, board_counts);
  return account;
}

}  // namespace rtstep::machine
