// The G-code job behind motmod: the feeder thread (G-code -> toolhead -> queue) and the queue itself
// (see motion_job.hpp).
#include "hal/motion_job.hpp"

#include <chrono>
#include <map>

#include "gcode/gcode.hpp"

namespace rtstep::hal {

// The toolhead's output, pushed into the queue in print-time order.
class MotionJob::QueueSink final : public motion::MoveSink {
 public:
  explicit QueueSink(MotionJob& job) : job_(job) {}

  Status on_move(const motion::Move& move) override {
    MotionRecord r;
    r.kind = MotionRecord::Kind::kMove;
    r.move = move;
    if (!job_.push(r)) return Error{"stopped"};
    job_.moves_pushed_.fetch_add(1, std::memory_order_relaxed);
    job_.print_time_.store(move.end_time(), std::memory_order_relaxed);
    return Ok{};
  }

  Status on_enable(std::size_t stepper, bool enabled, double time) override {
    MotionRecord r;
    r.kind = MotionRecord::Kind::kEnable;
    r.joint = static_cast<uint16_t>(stepper);
    r.enabled = enabled;
    r.time = time;
    if (!job_.push(r)) return Error{"stopped"};
    return Ok{};
  }

 private:
  MotionJob& job_;
};

MotionJob::MotionJob(config::MachineConfig machine, motion::Kinematics kinematics, std::string gcode_path,
                     std::size_t queue_records)
    : machine_(std::move(machine)),
      kinematics_(std::move(kinematics)),
      gcode_path_(std::move(gcode_path)),
      gcode_(gcode_path_),
      slots_(queue_records) {}

Result<std::unique_ptr<MotionJob>> MotionJob::create(config::MachineConfig machine, std::string gcode_path,
                                                     std::size_t queue_records) {
  if (machine.steppers.empty() || machine.steppers.size() > kMaxJoints) {
    return Error{machine.path + ": motmod drives 1 to " + std::to_string(kMaxJoints) + " steppers, the config has " +
                 std::to_string(machine.steppers.size())};
  }
  if (queue_records < 2) return Error{"motion queue: at least 2 records"};
  auto kinematics = motion::Kinematics::create(machine);
  if (!kinematics) return Error{machine.path + ": " + kinematics.error().message};
  std::unique_ptr<MotionJob> job(
      new MotionJob(std::move(machine), std::move(*kinematics), std::move(gcode_path), queue_records));
  if (!job->gcode_) return Error{job->gcode_path_ + ": error: cannot open G-code file"};
  return job;
}

MotionJob::~MotionJob() { stop_feeder(); }

double MotionJob::steps_per_mm(std::size_t joint) const { return machine_.steppers[joint].steps_per_mm(); }

double MotionJob::initial_joint_position(std::size_t joint) const noexcept {
  return kinematics_.stepper_position(joint, motion::initial_position(machine_));
}

Status MotionJob::start_feeder(std::ostream& log) {
  if (feeder_.joinable() || feeder_done()) return Error{"motion: the G-code feeder was already started"};
  feeder_ = std::thread([this, &log] { feed(log); });
  return Ok{};
}

void MotionJob::stop_feeder() {
  stop_.store(true, std::memory_order_relaxed);
  if (feeder_.joinable()) feeder_.join();
}

std::string MotionJob::feeder_error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

bool MotionJob::push(const MotionRecord& record) {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  // Back-pressure, never loss: wait for the servo thread to make room.
  while (tail - head_.load(std::memory_order_acquire) >= slots_.size()) {
    if (stop_.load(std::memory_order_relaxed)) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  slots_[tail % slots_.size()] = record;
  tail_.store(tail + 1, std::memory_order_release);
  pushed_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

const MotionRecord* MotionJob::try_front() const noexcept {
  const uint64_t head = head_.load(std::memory_order_relaxed);
  if (head == tail_.load(std::memory_order_acquire)) return nullptr;
  return &slots_[head % slots_.size()];
}

void MotionJob::pop() noexcept { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

// The feeder thread: as the host pipeline of `rtstep run`, but into the queue instead of the step generator.
void MotionJob::feed(std::ostream& log) {
  QueueSink sink(*this);
  motion::Toolhead toolhead(machine_, kinematics_, sink, gcode_path_);
  gcode::Reader reader(gcode_, gcode_path_);
  std::string error;
  std::string reply;
  while (!stop_.load(std::memory_order_relaxed)) {
    const gcode::ReadStatus status = reader.next();
    if (status == gcode::ReadStatus::kEndOfFile) break;
    if (status == gcode::ReadStatus::kError) {
      error = reader.error().to_string();
      break;
    }
    const gcode::Command& cmd = reader.command();
    if (cmd.kind == gcode::CommandKind::kIgnored || cmd.kind == gcode::CommandKind::kT) {
      if (cmd.first_ignored) {
        log << gcode_path_ << ":" << cmd.line << ": note: ignoring unknown command " << cmd.name
            << " (reported once)\n";
      }
      continue;
    }
    auto done = toolhead.execute(cmd, reply);
    if (!done) {
      error = done.error().message;
      break;
    }
    if (!reply.empty()) log << reply << '\n';
  }
  // What was accepted before an error still runs, to a stop (as `rtstep run`).
  if (!stop_.load(std::memory_order_relaxed)) {
    if (auto finished = toolhead.finish(); !finished && error.empty()) error = finished.error().message;
  }
  if (stop_.load(std::memory_order_relaxed)) error = "motion: stopped before the end of " + gcode_path_;
  {
    std::lock_guard lock(error_mutex_);
    error_ = std::move(error);
  }
  feeder_done_.store(true, std::memory_order_release);
}

}  // namespace rtstep::hal
