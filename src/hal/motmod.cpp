// motmod: LinuxCNC's motion component, playing a G-code job planned by rtstep's toolhead (motion_job.hpp).
//
//   loadrt motmod [num_joints=N] [base_period_nsec=NS] [servo_period_nsec=NS]
//
// As LinuxCNC's, loading it creates `servo-thread` (servo_period_nsec, default 1 ms) and, when
// base_period_nsec is set and the servo period is at least two base periods, `base-thread` before it; the
// servo period is rounded to a whole number of base periods.
//
// Two functions, both for the servo thread, the handler first:
//   motion-command-handler: advances the trajectory clock by one servo period and takes the records that
//     are due from the job's queue (the next move when the current one has ended, stepper enables whose
//     time has come). It starts the clock once the queue is full or the whole file is planned, so the
//     planner is ahead from the first period. When the queue runs dry before the file's end the clock
//     holds at the end of the last move (an underrun: counted, and `rtstep hal` fails); nothing is skipped.
//   motion-controller: evaluates the current move at the clock (motion::Move::distance_at: the planner's
//     own trapezoid), maps the toolhead position to each joint through the kinematics rows, and writes
//     joint.N.motor-pos-cmd, joint.N.f-error (previous command - feedback) and the motion.* pins.
// Both are real-time safe: arithmetic, relaxed/acquire atomics and copies of fixed-size records.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "hal/component.hpp"
#include "hal/motion_job.hpp"
#include "hal/thread.hpp"

namespace rtstep::hal {

namespace {

struct Joint {
  Pin<double> pos_cmd;     // joint.N.motor-pos-cmd (OUT), mm of the stepper's travel
  Pin<double> pos_fb;      // joint.N.motor-pos-fb (IN)
  Pin<double> f_error;     // joint.N.f-error (OUT)
  Pin<bool> amp_enable;    // joint.N.amp-enable-out (OUT)
  motion::Coord row{};     // stepper position = row · toolhead position
};

struct Motmod : Instance {
  ~Motmod() override {  // unloadrt motmod: the job may be played by a motmod loaded again
    if (job != nullptr) job->progress().attached.store(false);
  }
  MotionJob* job = nullptr;  // null: no --gcode, the joints hold their positions
  int joints = 0;
  std::array<Joint, kMaxJoints> joint;
  motion::Coord rest{};      // toolhead position before the first move
  Pin<bool> in_position;     // motion.in-position: not moving, nothing queued
  Pin<int32_t> program_line; // motion.program-line: G-code line of the current move
  Pin<double> current_vel;   // motion.current-vel: toolhead speed, mm/s
  Pin<double> print_time;    // motion.print-time: the trajectory clock, s (rtstep)
  Pin<int32_t> underruns;    // motion.underruns: servo periods held for want of moves (rtstep)
  // Handler -> controller state (both run in the servo thread, one after the other).
  motion::Move current{};
  bool have_current = false;
  bool playing = false;
  double t = 0;  // s of print time
};

// Toolhead speed `t` s into `move` (mm/s), following its trapezoid.
double speed_at(const motion::Move& m, double t) noexcept {
  t = std::clamp(t, 0.0, m.duration());
  if (t <= m.accel_t) return m.start_v + m.accel * t;
  if (t <= m.accel_t + m.cruise_t) return m.cruise_v;
  return std::max(0.0, m.cruise_v - m.accel * (t - m.accel_t - m.cruise_t));
}

// The queue holds enough to play without waiting on the planner: full, or the whole file is in.
bool ready_to_play(const MotionJob& job) noexcept {
  return job.feeder_done() || job.queued() + 1 >= job.capacity();
}

// Takes every record that is due at m.t: enables whose time has come, and the next move once the
// current one has ended (several when moves are shorter than a servo period).
void take_due_records(Motmod& m, MotionJob& job) noexcept {
  while (const MotionRecord* r = job.try_front()) {
    if (r->kind == MotionRecord::Kind::kEnable) {
      if (r->time > m.t + 1e-9) break;
      if (r->joint < m.joints) m.joint[r->joint].amp_enable.set(r->enabled);
      job.pop();
      continue;
    }
    if (m.have_current && m.t < m.current.end_time()) break;
    m.current = r->move;
    m.have_current = true;
    job.pop();
    job.progress().moves_played.fetch_add(1, std::memory_order_relaxed);
  }
}

void command_handler(void* arg, int64_t period_ns) noexcept {
  auto& m = *static_cast<Motmod*>(arg);
  if (m.job == nullptr) return;
  MotionJob& job = *m.job;
  if (job.progress().finished.load(std::memory_order_relaxed)) return;  // the clock stops with the job
  if (!m.playing) {
    if (!ready_to_play(job)) return;  // the clock starts with a full queue
    m.playing = true;
    m.t = 0;
  } else {
    m.t += static_cast<double>(period_ns) * 1e-9;
  }
  // Read "done" before "empty": the feeder pushes its last record before it sets done.
  const bool feeder_done = job.feeder_done();
  take_due_records(m, job);
  const bool empty = job.try_front() == nullptr;
  const bool past_end = !m.have_current || m.t >= m.current.end_time();
  if (past_end && empty && !feeder_done && m.have_current) {
    // Underrun: hold the clock at the end of the last move rather than run ahead of the plan.
    if (m.t > m.current.end_time()) {
      m.t = m.current.end_time();
      auto& p = job.progress();
      if (p.underrun_periods.fetch_add(1, std::memory_order_relaxed) == 0) {
        p.underrun_line.store(m.current.line, std::memory_order_relaxed);
      }
    }
    return;
  }
  if (past_end && empty && feeder_done) job.progress().finished.store(true, std::memory_order_release);
}

void controller(void* arg, int64_t /*period_ns*/) noexcept {
  auto& m = *static_cast<Motmod*>(arg);
  motion::Coord pos = m.rest;
  double speed = 0;
  if (m.have_current) {
    const double since = m.t - m.current.start_time;
    const double d = m.current.distance_at(since);
    for (std::size_t a = 0; a < pos.size(); ++a) pos[a] = m.current.start[a] + m.current.axis_ratio[a] * d;
    speed = speed_at(m.current, since);
    m.program_line.set(static_cast<int32_t>(m.current.line));
  }
  for (int j = 0; j < m.joints; ++j) {
    Joint& jt = m.joint[j];
    // Following error against the command the feedback was chasing (the previous one).
    jt.f_error.set(jt.pos_cmd.get() - jt.pos_fb.get());
    double cmd = 0;
    for (std::size_t a = 0; a < pos.size(); ++a) cmd += jt.row[a] * pos[a];
    jt.pos_cmd.set(cmd);
  }
  const bool moving = m.have_current && m.t < m.current.end_time();
  m.in_position.set(!moving && (m.job == nullptr || m.job->try_front() == nullptr));
  m.current_vel.set(moving ? speed : 0.0);
  m.print_time.set(m.t);
  if (m.job != nullptr) {
    m.underruns.set(static_cast<int32_t>(m.job->progress().underrun_periods.load(std::memory_order_relaxed)));
  }
}

Result<int64_t> take_ns(LoadArgs& args, const std::string& key, int64_t fallback) {
  auto text = args.take(key);
  if (!text) return fallback;
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || ptr != text->data() + text->size() || v < 0) {
    return Error{key + "=" + *text + " is not a period in ns"};
  }
  return v;
}

// LinuxCNC's period rules: base 0 = no base thread; the servo period is a whole number of base periods;
// base-thread exists only when that number is above 1.
Status create_motion_threads(Builder& b, int64_t base, int64_t servo) {
  if (servo <= 0) return Error{"servo_period_nsec must be > 0"};
  if (base > servo) return Error{"base_period_nsec=" + std::to_string(base) + " is longer than servo_period_nsec"};
  if (base > 0) {
    const int64_t ratio = (servo + base / 2) / base;
    servo = ratio * base;
    if (ratio > 1) {
      if (auto st = b.hal().create_thread("base-thread", base, b.comp_id()); !st) return st;
    }
  }
  return b.hal().create_thread("servo-thread", servo, b.comp_id());
}

std::string joint_list(const MotionJob& job) {
  std::string out;
  for (std::size_t j = 0; j < job.joint_count(); ++j) out += (j == 0 ? "" : ", ") + job.joint_name(j);
  return out;
}

}  // namespace

Status load_motmod(Hal& hal, LoadArgs& args) {
  MotionJob* job = hal.motion_job();
  const auto fail = [](const std::string& message) { return Error{"loadrt motmod: " + message}; };
  auto joints_text = args.take("num_joints");
  int joints = job != nullptr ? static_cast<int>(job->joint_count()) : 3;
  if (joints_text) {
    const auto [ptr, ec] = std::from_chars(joints_text->data(), joints_text->data() + joints_text->size(), joints);
    if (ec != std::errc{} || ptr != joints_text->data() + joints_text->size() || joints < 1 ||
        joints > static_cast<int>(kMaxJoints)) {
      return fail("num_joints=" + *joints_text + " is not a number from 1 to " + std::to_string(kMaxJoints));
    }
    if (job != nullptr && joints != static_cast<int>(job->joint_count())) {
      return fail("num_joints=" + *joints_text + ", but the machine config has " +
                  std::to_string(job->joint_count()) + " steppers (" + joint_list(*job) +
                  "): one joint per stepper");
    }
  }
  auto base = take_ns(args, "base_period_nsec", 0);
  if (!base) return fail(base.error().message);
  auto servo = take_ns(args, "servo_period_nsec", 1'000'000);
  if (!servo) return fail(servo.error().message);
  if (auto st = args.check_all_used("motmod"); !st) return fail(st.error().message);
  if (job != nullptr && job->progress().attached.load()) return fail("the G-code job is already played by motmod");

  return load_component(hal, "motmod", [&](Builder& b) -> Status {
    if (auto st = create_motion_threads(b, *base, *servo); !st) return st;
    auto& m = b.make<Motmod>();
    m.job = job;
    m.joints = joints;
    if (job != nullptr) m.rest = job->initial_toolhead_position();
    for (int j = 0; j < joints; ++j) {
      Joint& jt = m.joint[j];
      const double start = job != nullptr ? job->initial_joint_position(j) : 0.0;
      if (job != nullptr) jt.row = job->joint_row(j);
      const std::string n = "joint." + std::to_string(j);
      b.pin(n + ".motor-pos-cmd", Dir::kOut, jt.pos_cmd, start);
      b.pin(n + ".motor-pos-fb", Dir::kIn, jt.pos_fb, start);
      b.pin(n + ".f-error", Dir::kOut, jt.f_error);
      b.pin(n + ".amp-enable-out", Dir::kOut, jt.amp_enable);
    }
    b.pin("motion.in-position", Dir::kOut, m.in_position, true);
    b.pin("motion.program-line", Dir::kOut, m.program_line);
    b.pin("motion.current-vel", Dir::kOut, m.current_vel);
    b.pin("motion.print-time", Dir::kOut, m.print_time);
    b.pin("motion.underruns", Dir::kOut, m.underruns);
    b.function("motion-command-handler", &command_handler, &m);
    b.function("motion-controller", &controller, &m);
    if (job != nullptr && b.status()) job->progress().attached.store(true);
    return Ok{};
  });
}

Status check_motion_wiring(const Hal& hal) {
  if (hal.find_component("motmod") == nullptr) {
    return Error{"--gcode: the .hal file does not load motmod (loadrt motmod), so nothing plays the G-code"};
  }
  const HalThread* handler_thread = nullptr;
  std::size_t handler_index = 0;
  for (const auto& t : hal.threads()) {
    const auto& fs = t->functions();
    for (std::size_t i = 0; i < fs.size(); ++i) {
      if (fs[i]->name == "motion-command-handler") {
        handler_thread = t.get();
        handler_index = i;
      }
    }
  }
  if (handler_thread == nullptr) return Error{"--gcode: motion-command-handler is in no thread (addf it to servo-thread)"};
  const auto& fs = handler_thread->functions();
  const auto controller_it = std::find_if(fs.begin(), fs.end(), [](const FunctionRecord* f) {
    return f->name == "motion-controller";
  });
  if (controller_it == fs.end()) {
    return Error{"--gcode: motion-controller must be in the same thread as motion-command-handler ('" +
                 handler_thread->name() + "')"};
  }
  if (static_cast<std::size_t>(controller_it - fs.begin()) < handler_index) {
    return Error{"--gcode: motion-command-handler must come before motion-controller in '" + handler_thread->name() + "'"};
  }
  if (!hal.running()) return Error{"--gcode: the threads are not running (the .hal file must end with 'start')"};
  return Ok{};
}

}  // namespace rtstep::hal
