// MotionSession (see motion_session.hpp).
#include "machine/motion_session.hpp"

#include <algorithm>
#include <limits>

#include "executor/executor.hpp"
#include "machine/embedded_rings.hpp"
#include "machine/executor_side.hpp"
#include "machine/host_link.hpp"
#include "machine/host_pipeline.hpp"
#include "machine/mcu_boards.hpp"
#include "machine/run_threads.hpp"
#include "util/clock.hpp"

namespace rtstep::machine {

// Declared in the order they are built; destroyed in reverse (the pipeline before the link before the ring).
struct MotionSession::Parts {
  const config::MachineConfig& machine;
  bool virtual_clock = false;
  bool simulated = true;
  EmbeddedRings rings;
  std::shared_ptr<McuBoards> boards;  // MotionOptions::mcu (shared: ThermalLink holds it weakly)
  std::unique_ptr<ExecutorSide> side;
  std::optional<RunThreads> host_thread;  // the creating thread as rtstep-host, put back when the session ends
  std::unique_ptr<HostLink> link;
  HomingLink homing;
  int64_t origin_ns = 0;
  std::unique_ptr<HostPipeline> pipeline;
  bool idled = true;  // nothing queued since the last idle()
  std::string fault;  // why the session stopped, once known

  Parts(const config::MachineConfig& m, EmbeddedRings r) : machine(m), rings(std::move(r)) {}
  ~Parts() {
    pipeline.reset();
    if (link) {
      if (auto ended = link->end_stream(); !ended) side->request_stop();
      (void)side->finish();
      link->detach();
    }
    if (boards) boards->end();
  }
  // The executor's clock at the end of the motion sent so far.
  int64_t motion_end_ns() const {
    return origin_ns + static_cast<int64_t>(pipeline->toolhead().print_time() * 1e9);
  }
};

Result<std::unique_ptr<MotionSession>> MotionSession::start(const config::MachineConfig& machine,
                                                            const motion::Kinematics& kinematics,
                                                            const MotionOptions& options, std::ostream& log) {
  auto rings = create_embedded_rings("rtstep-serve-", machine.rt.ring_capacity, "rtstep serve", log);
  if (!rings) return rings.error();
  auto parts = std::make_unique<Parts>(machine, std::move(*rings));
  parts->virtual_clock = options.virtual_clock;
  parts->simulated = options.hardware == nullptr;
  if (options.mcu) {
    if (options.virtual_clock) return Error{"the [mcu] boards keep real time: they cannot run on the virtual clock"};
    auto boards = McuBoards::plan(machine, {machine.rt.buffer_time_ns / 2}, options.board_thermal);
    if (!boards) return boards.error();
    if (!*boards) return Error{machine.path + ": --mcu: no stepper, heater, fan or sensor has its pin on an [mcu] board"};
    if (auto started = (*boards)->start(); !started) return started.error();
    parts->boards = std::move(*boards);
  }
  ExecutorSideOptions side_options;
  side_options.virtual_clock = options.virtual_clock;
  side_options.hardware = options.hardware;
  side_options.pwm_outputs = options.pwm_outputs;
  auto side = ExecutorSide::start(machine, parts->rings.consumer, side_options);
  if (!side) return side.error();
  parts->side = std::move(*side);
  // The creating thread plans and feeds the ring: rtstep-host in the [rt] hierarchy. Placed after the
  // executor side has started its threads (they must not inherit the host's policy and CPUs) and before the
  // link starts its heartbeat thread, which must (one step above the host: a busy machine cannot starve it).
  if (auto placed = RunThreads::place_host(machine.rt)) parts->host_thread.emplace(std::move(*placed));
  else log << "rtstep serve: " << placed.error().message << "\n";
  parts->link = std::make_unique<HostLink>(parts->rings.producer, heartbeat_timeout_ns(machine.rt, options.virtual_clock));
  parts->link->set_lead(options.virtual_clock ? 0 : machine.rt.buffer_time_ns);
  parts->link->set_diverter(parts->boards.get());
  parts->link->start();
  if (auto started = parts->link->wait_for_executor(); !started) return started.error();

  HomingLink& homing = parts->homing;
  homing.ring = &parts->rings.producer;
  homing.sink = parts->link.get();
  homing.virtual_clock = options.virtual_clock;
  // The sim's carriage starts where the config says; a real one is not known: G28 always moves to the switch.
  homing.trust_start_position = parts->simulated && machine.motion.sim_stepper_start.empty() && !parts->boards;
  if (McuBoards* boards = parts->boards.get()) homing.board_report = [boards] { return boards->take_homing_report(); };
  homing.buffer_time_ns = machine.rt.buffer_time_ns;
  const ExecutorSide* executor_side = parts->side.get();
  homing.executor_alive = [executor_side] { return executor_side->executor().running(); };
  HostLink* host_link = parts->link.get();
  homing.homing_move = [host_link](bool sending) { host_link->suspend_lead(sending); };
  // Print time 0 is one lead from now: the host is that far ahead of the executor from the first step on.
  parts->origin_ns = monotonic_ns() + machine.rt.buffer_time_ns;
  parts->pipeline = std::make_unique<HostPipeline>(machine, kinematics, options.gcode_name, parts->origin_ns,
                                                   *parts->link, nullptr, &parts->homing);
  HostLink* link = parts->link.get();
  McuBoards* boards = parts->boards.get();
  parts->pipeline->on_emergency_stop([link, boards](const std::string& why) {
    link->emergency_stop(why);
    if (boards) boards->emergency_stop();
  });
  const int64_t origin_ns = parts->origin_ns;
  const int64_t lead_ns = machine.rt.buffer_time_ns;
  if (!options.virtual_clock) {
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
  if (all.empty()) return parts_->rings.producer.size() == 0;
  return std::all_of(all.begin(), all.end(), [](const StepperCount& c) { return c.steps >= c.planned_steps; });
}

double MotionSession::clock_print_time() const {
  if (parts_->virtual_clock) return parts_->pipeline->toolhead().print_time();
  return static_cast<double>(monotonic_ns() - parts_->origin_ns) / 1e9;
}

Result<bool> MotionSession::push_output(const ipc::Record& record) { return parts_->link->push_now(record); }

MotionSession::OutputWindow MotionSession::output_window() const {
  const int64_t last = parts_->link->last_record_ns();
  return {last, parts_->idled ? std::numeric_limits<int64_t>::max() : last};
}

std::optional<uint64_t> MotionSession::rising_edges(const std::string& signal) const {
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
  } else if (!p.side->executor().running()) {
    // The executor's own account first: its beat stops when it ends, so "lost" would hide the cause.
    (void)p.side->finish();  // the loop has ended: this only joins the thread
    p.fault = p.side->report().message();
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


}  // namespace rtstep::machine
