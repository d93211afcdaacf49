// StepGenerator: moves in, time-ordered segment and pin records out.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {

StepGenerator::StepGenerator(const config::MachineConfig& machine, const motion::Kinematics& kinematics,
                             const motion::Coord& start, int64_t origin_ns, int64_t tolerance_ns, RecordSink& sink)
    : machine_(machine), origin_ns_(origin_ns), tolerance_ns_(tolerance_ns), sink_(sink) {
  for (std::size_t i = 0; i < kinematics.stepper_count(); ++i) {
    StepSolver probe(machine.steppers[i].steps_per_mm(), kinematics.row(i), 0);
    const int64_t initial = probe.steps_at(start);
    solvers_.emplace_back(machine.steppers[i].steps_per_mm(), kinematics.row(i), initial);
    initial_.push_back(initial);
  }
  totals_.resize(solvers_.size());
}

int64_t StepGenerator::to_ns(double print_time) const noexcept { return origin_ns_ + std::llround(print_time * 1e9); }

Status StepGenerator::on_move(const motion::Move& move) {
  segments_.clear();
  for (std::size_t i = 0; i < solvers_.size(); ++i) {
    times_.clear();
    const uint8_t dir = solvers_[i].solve(move, origin_ns_, times_);
    if (times_.empty()) continue;
    const std::size_t before = segments_.size();
    if (!compress(times_, static_cast<uint8_t>(i), dir, tolerance_ns_, segments_)) {
      return Error{fmt::format("line {}: {} would need steps closer than {} ns (step rate too high for this move)",
                               move.line, machine_.steppers[i].name, ipc::kMinStepIntervalNs)};
    }
    totals_[i].steps += times_.size();
    totals_[i].segments += segments_.size() - before;
  }
  // Steps of one move all fall inside it, so ordering each move's segments orders the whole stream.
  std::stable_sort(segments_.begin(), segments_.end(),
                   [](const ipc::StepSegment& a, const ipc::StepSegment& b) { return a.first_time_ns < b.first_time_ns; });
  for (const auto& segment : segments_) {
    if (auto pushed = sink_.push(ipc::Record::of(segment)); !pushed) return pushed;
  }
  return Ok{};
}

Status StepGenerator::on_enable(std::size_t stepper, bool enabled, double time) {
  ipc::PinCommand pin;
  pin.time_ns = to_ns(time);
  pin.stepper = static_cast<uint8_t>(stepper);
  pin.role = ipc::PinRole::kEnable;
  pin.level = enabled ? 1 : 0;
  return sink_.push(ipc::Record::of(pin));
}

}  // namespace rtstep::stepgen
