// HostPipeline: parser -> toolhead -> step generator, for run and plan.
#include "machine/host_pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>

#include <fmt/format.h>

#include "gcode/gcode.hpp"

namespace rtstep::machine {
namespace {

// Commands that are understood but have no effect yet, noted once each so nobody expects a heater to heat.
bool is_without_effect(const gcode::Command& cmd) {
  if (cmd.kind != gcode::CommandKind::kM) return false;
  switch (cmd.number) {
    case 104: case 109: case 140: case 190: case 106: case 107: return true;
    default: return false;
  }
}

// A command the pipeline gives the toolhead itself: M400, or G4 S<seconds>.
gcode::Command own_command(gcode::CommandKind kind, int32_t number, uint32_t line) {
  gcode::Command cmd;
  cmd.kind = kind;
  cmd.number = number;
  cmd.line = line;
  return cmd;
}

}  // namespace

void HostPipeline::idle() {
  if (idled_ || !idle_error_.empty()) return;
  std::string reply;
  if (auto sent = toolhead_.execute(own_command(gcode::CommandKind::kM, 400, 0), reply); !sent) {
    idle_error_ = sent.error().message;
    return;
  }
  idled_ = true;
  // Nothing comes now before the next command, which starts no earlier than earliest_() (resume_after_idle):
  // promise that far, so the executor writes the last edges of the motion sent without waiting for a record
  // that covers them (a PWM command does not: executor.hpp).
  if (earliest_) generator_.on_horizon(std::max(toolhead_.print_time(), earliest_()));
}

void HostPipeline::stop_short() {
  if (idled_ || !idle_error_.empty()) return;
  if (auto stopped = toolhead_.stop_short(); !stopped) {
    idle_error_ = stopped.error().message;
    return;
  }
  idle();
}

Status HostPipeline::replay_deferred() {
  if (!idle_error_.empty()) return Error{idle_error_};
  if (!toolhead_.has_deferred()) return Ok{};
  if (idled_) {
    if (auto resumed = resume_after_idle(0); !resumed) return resumed;
  }
  if (auto replayed = toolhead_.replay_deferred(); !replayed) return Error{replayed.error().message};
  return Ok{};
}

Status HostPipeline::resume_after_idle(uint32_t line) {
  idled_ = false;
  if (!earliest_) return Ok{};
  const double gap = earliest_() - toolhead_.print_time();
  if (!(gap > 0)) return Ok{};
  gcode::Command dwell = own_command(gcode::CommandKind::kG, 4, line);
  dwell.present |= 1U << ('S' - 'A');
  dwell.values['S' - 'A'] = gap;
  std::string reply;
  if (auto waited = toolhead_.execute(dwell, reply); !waited) return Error{waited.error().message};
  return Ok{};
}

HostPipeline::HostPipeline(const config::MachineConfig& machine, const motion::Kinematics& kinematics,
                           std::string gcode_name, int64_t origin_ns, stepgen::RecordSink& sink,
                           stepgen::StepObserver* observer, const HomingLink* homing)
    : gcode_name_(std::move(gcode_name)),
      generator_(machine, kinematics, motion::initial_position(machine), origin_ns,
                 std::llround(machine.rt.max_step_error * 1e9), sink, observer),
      endstops_(homing == nullptr ? nullptr : std::make_unique<ExecutorEndstops>(machine, kinematics, generator_, *homing)),
      toolhead_(machine, kinematics, generator_, gcode_name_, endstops_.get()) {}

Status HostPipeline::execute(const gcode::Command& cmd, std::string& reply) {
  reply.clear();
  if (!idle_error_.empty()) return Error{idle_error_};
  if (idled_) {
    if (auto resumed = resume_after_idle(cmd.line); !resumed) return resumed;
  }
  if (cmd.kind == gcode::CommandKind::kM && cmd.number == 112 && emergency_stop_) emergency_stop_("M112");
  if (auto done = toolhead_.execute(cmd, reply); !done) return Error{done.error().message};
  return Ok{};
}

Status HostPipeline::finish() {
  if (auto finished = toolhead_.finish(); !finished) return Error{finished.error().message};
  return Ok{};
}

FeedResult HostPipeline::feed(std::istream& in, std::ostream& log) {
  FeedResult result;
  const auto fail = [&](std::string message) {
    result.ok = false;
    result.error = std::move(message);
  };
  gcode::Reader reader(in, gcode_name_);
  std::map<int32_t, bool> noted;
  std::string reply;
  for (;;) {
    const gcode::ReadStatus status = reader.next();
    if (!idle_error_.empty()) {
      fail(idle_error_);
      break;
    }
    if (status == gcode::ReadStatus::kEndOfFile) break;
    if (status == gcode::ReadStatus::kError) {
      fail(reader.error().to_string());
      break;
    }
    const gcode::Command& cmd = reader.command();
    if (cmd.kind == gcode::CommandKind::kIgnored || cmd.kind == gcode::CommandKind::kT) {
      if (cmd.first_ignored) {
        log << fmt::format("{}:{}: note: ignoring unknown command {} (reported once)\n", gcode_name_, cmd.line,
                           cmd.name);
        result.ignored_commands.emplace_back(cmd.name);
      }
      continue;
    }
    if (is_without_effect(cmd) && !noted[cmd.number]) {
      noted[cmd.number] = true;
      log << fmt::format("{}:{}: note: {} accepted but has no effect: rtstep drives no heaters or fans yet "
                         "(reported once)\n", gcode_name_, cmd.line, cmd.name);
    }
    if (auto done = execute(cmd, reply); !done) {
      fail(done.error().message);
      result.emergency_stop = cmd.kind == gcode::CommandKind::kM && cmd.number == 112;
      break;
    }
    if (!reply.empty()) log << reply << '\n';
  }
  // The queued moves were accepted: they run to a stop whether or not a later line failed, unless the
  // G-code asked for an emergency stop.
  if (result.emergency_stop) return result;
  if (auto finished = finish(); !finished && result.ok) fail(finished.error().message);
  return result;
}

}  // namespace rtstep::machine
