// stepgen: software step generation, as LinuxCNC's stepgen. Step types: 0 step/dir, 1 up/down, and the
// phase patterns 2-14 of LinuxCNC's stepgen manual (quadrature, three-wire, four-wire unipolar and bipolar,
// five-wire; full and half step), plus 15, the pattern given by user_step_type= (phase-A is bit 0 of every
// pattern state). Three functions cover all channels:
//   stepgen.make-pulses (base thread): an integer DDS. Position has 28 fractional bits (1 step = 2^28)
//     and starts at 2^27, half a step, so steps fall half-way between whole positions. Each base period
//     the increment (addval) slews toward the target by at most deltalim and is added to the
//     accumulator; a step is due when bit 28 changes.
//   stepgen.update-freq (servo thread): position mode predicts where the DDS will be when its velocity
//     matches the command's and picks the next velocity (LinuxCNC's predictor with its 1.5-period lead);
//     velocity mode slews toward the command. Both respect maxvel and maxaccel.
//   stepgen.capture-position (servo thread): counts and position-fb from the accumulator.
//
// Timing rules (steplen, stepspace, dirsetup, dirhold, in ns, rounded up to whole base periods and
// written back) are enforced on every edge, a stricter reading than LinuxCNC's: the accumulator only
// advances across a step boundary when that step is legal (stepspace after the previous pulse, dirsetup
// after a direction change), and the direction changes only dirhold after a pulse ended. A step that is
// not yet legal waits; the position loop absorbs the delay.
//
// The base and servo functions run in different threads: everything they share is a relaxed atomic
// with one writer (noted per field). All functions are real-time safe.
#include <atomic>
#include <charconv>
#include <cmath>
#include <memory>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

constexpr int kPickoff = 28;
constexpr int64_t kOneStep = int64_t{1} << kPickoff;

// A phase pattern: one bit per phase output (phase-A = bit 0) for each state, in forward order.
constexpr int kMaxPatternLength = 10;  // LinuxCNC's limit, also for user_step_type=
constexpr int kMaxPhases = 5;
struct PhasePattern {
  int phases = 0;
  int length = 0;
  uint8_t states[kMaxPatternLength] = {};
};
// Step types 2..14: the state tables of LinuxCNC's stepgen manual.
constexpr PhasePattern kPatterns[] = {
    {2, 4, {0b01, 0b11, 0b10, 0b00}},                    // 2 quadrature: A leads B
    {3, 3, {0b001, 0b010, 0b100}},                       // 3 three-wire
    {3, 6, {0b001, 0b011, 0b010, 0b110, 0b100, 0b101}},  // 4 three-wire half step
    {4, 4, {0b0001, 0b0010, 0b0100, 0b1000}},            // 5 unipolar full step, one winding on
    {4, 4, {0b0011, 0b0110, 0b1100, 0b1001}},            // 6 unipolar full step, two windings on
    {4, 4, {0b0001, 0b0111, 0b1110, 0b1000}},            // 7 bipolar full step, one winding on
    {4, 4, {0b0101, 0b0110, 0b1010, 0b1001}},            // 8 bipolar full step, two windings on
    {4, 8, {0b0001, 0b0011, 0b0010, 0b0110, 0b0100, 0b1100, 0b1000, 0b1001}},  // 9 unipolar half step
    {4, 8, {0b0001, 0b0101, 0b0111, 0b0110, 0b1110, 0b1010, 0b1000, 0b1001}},  // 10 bipolar half step
    {5, 5, {0b00001, 0b00010, 0b00100, 0b01000, 0b10000}},                     // 11 five-wire unipolar
    {5, 5, {0b00011, 0b00110, 0b01100, 0b11000, 0b10001}},                     // 12 five-wire wave
    {5, 10, {0b00001, 0b00011, 0b00010, 0b00110, 0b00100, 0b01100, 0b01000, 0b11000, 0b10000,
             0b10001}},  // 13 five-wire unipolar half step
    {5, 10, {0b00011, 0b00111, 0b00110, 0b01110, 0b01100, 0b11100, 0b11000, 0b11001, 0b10001,
             0b10011}},  // 14 five-wire wave half step
};
constexpr int kUserStepType = 15;  // the pattern of user_step_type=
constexpr int kMaxStepType = 15;

struct Channel {
  // Pins and params (LinuxCNC's names).
  Pin<double> command;  // position-cmd or velocity-cmd
  Pin<bool> enable;
  Pin<int32_t> counts;
  Pin<double> position_fb;
  Pin<bool> step, dir;      // type 0
  Pin<bool> up, down;       // type 1
  Pin<bool> phase[kMaxPhases];  // types 2+: phase-A ... phase-E
  int step_type = 0;
  PhasePattern pattern;          // types 2+
  Param<int32_t> rawcounts;
  Param<double> position_scale{1.0};
  Param<double> maxvel{0.0};
  Param<double> maxaccel{0.0};
  Param<double> frequency{0.0};
  Param<uint32_t> steplen{1}, stepspace{1}, dirsetup{1}, dirhold{1};
  bool position_mode = true;

  // Written by update-freq, read by make-pulses.
  std::atomic<int64_t> target_addval{0};
  std::atomic<int64_t> deltalim{0};
  std::atomic<int64_t> steplen_ns{0}, stepspace_ns{0}, dirsetup_ns{0}, dirhold_ns{0};
  std::atomic<bool> enabled{false};
  // Written by make-pulses, read by update-freq / capture-position.
  std::atomic<int64_t> accum{kOneStep / 2};
  // make-pulses only.
  int64_t addval = 0;
  int64_t pulse_timer = 0;  // step high while > 0 (steplen)
  int64_t space_timer = 0;  // next step allowed at 0 (steplen + stepspace)
  int64_t hold_timer = 0;   // direction may change at 0 (steplen + dirhold)
  int64_t setup_timer = 0;  // steps allowed at 0 after a direction change (dirsetup)
  int curr_dir = 1;         // +1 or -1; DIR is high for -1
  int state = 0;            // types 2+: position in the phase pattern
  // update-freq only.
  double old_pos_cmd = 0;
  uint32_t old_timing[4] = {0, 0, 0, 0};
};

struct Stepgen : Instance {
  std::unique_ptr<Channel[]> channels;
  int count = 0;
  // Written by make-pulses, read by update-freq. Until make-pulses has run, LinuxCNC's assumed 50 µs (an
  // update-freq that runs first in the same thread uses it once, as LinuxCNC's does).
  std::atomic<int64_t> base_period_ns{50000};
};

int64_t count_down(int64_t t, int64_t period) noexcept { return t > period ? t - period : 0; }

// The output pins of one channel after a base period.
void write_outputs(Channel& c) noexcept {
  const bool pulse = c.pulse_timer > 0;
  switch (c.step_type) {
    case 0:
      c.step.set(pulse);
      c.dir.set(c.curr_dir < 0);
      break;
    case 1:
      c.up.set(pulse && c.curr_dir > 0);
      c.down.set(pulse && c.curr_dir < 0);
      break;
    default:
      for (int k = 0; k < c.pattern.phases; ++k) c.phase[k].set(((c.pattern.states[c.state] >> k) & 1U) != 0);
      break;
  }
}

// Base thread: one period of every channel's DDS and pulse timers.
void make_pulses(void* arg, int64_t period_ns) noexcept {
  auto& sg = *static_cast<Stepgen*>(arg);
  sg.base_period_ns.store(period_ns, std::memory_order_relaxed);
  for (int i = 0; i < sg.count; ++i) {
    Channel& c = sg.channels[i];
    c.pulse_timer = count_down(c.pulse_timer, period_ns);
    c.space_timer = count_down(c.space_timer, period_ns);
    c.hold_timer = count_down(c.hold_timer, period_ns);
    c.setup_timer = count_down(c.setup_timer, period_ns);
    if (c.enabled.load(std::memory_order_relaxed)) {
      // Slew the increment toward the target (deltalim 0 = jump).
      const int64_t target = c.target_addval.load(std::memory_order_relaxed);
      const int64_t lim = c.deltalim.load(std::memory_order_relaxed);
      if (lim <= 0) {
        c.addval = target;
      } else if (target > c.addval) {
        c.addval = std::min(target, c.addval + lim);
      } else {
        c.addval = std::max(target, c.addval - lim);
      }
      // A reversal: change DIR once dirhold has passed since the last pulse, then wait dirsetup.
      const int want = c.addval > 0 ? 1 : (c.addval < 0 ? -1 : 0);
      if (want != 0 && want != c.curr_dir && c.hold_timer == 0 && c.pulse_timer == 0) {
        c.curr_dir = want;
        c.setup_timer = c.dirsetup_ns.load(std::memory_order_relaxed);
      }
      const int64_t accum = c.accum.load(std::memory_order_relaxed);
      const int64_t next = accum + c.addval;
      const bool steps = (next >> kPickoff) != (accum >> kPickoff);  // |addval| < one step per period
      if (!steps) {
        c.accum.store(next, std::memory_order_relaxed);
      } else if (want == c.curr_dir && c.space_timer == 0 && c.setup_timer == 0) {
        c.accum.store(next, std::memory_order_relaxed);
        const int64_t len = c.steplen_ns.load(std::memory_order_relaxed);
        c.pulse_timer = len;
        c.space_timer = len + c.stepspace_ns.load(std::memory_order_relaxed);
        c.hold_timer = len + c.dirhold_ns.load(std::memory_order_relaxed);
        if (c.step_type >= 2) {  // one state along the pattern, either way
          const int length = c.pattern.length;
          c.state = (c.state + c.curr_dir + length) % length;
        }
      }  // else: the step is not legal yet; the accumulator waits
    }
    c.rawcounts.set(static_cast<int32_t>(c.accum.load(std::memory_order_relaxed) >> kPickoff));
    write_outputs(c);
  }
}

int64_t round_up(uint32_t ns, int64_t base) noexcept {
  const int64_t v = std::max<int64_t>(ns, 1);
  return (v + base - 1) / base * base;
}

// Servo thread: re-validates the timing params when they change (rounded up to base periods, written back).
void update_timing(Channel& c, int64_t base) noexcept {
  Param<uint32_t>* params[4] = {&c.steplen, &c.stepspace, &c.dirsetup, &c.dirhold};
  std::atomic<int64_t>* out[4] = {&c.steplen_ns, &c.stepspace_ns, &c.dirsetup_ns, &c.dirhold_ns};
  for (int k = 0; k < 4; ++k) {
    // Types 1+ have no dirsetup (dirdelay is stored in dirhold), types 2+ no stepspace: those are 0.
    if ((k == 2 && c.step_type >= 1) || (k == 1 && c.step_type >= 2)) {
      out[k]->store(0, std::memory_order_relaxed);
      continue;
    }
    const uint32_t v = params[k]->get();
    if (v == c.old_timing[k] && out[k]->load(std::memory_order_relaxed) != 0) continue;
    const int64_t r = std::min<int64_t>(round_up(v, base), UINT32_MAX / base * base);
    params[k]->set(static_cast<uint32_t>(r));
    c.old_timing[k] = static_cast<uint32_t>(r);
    out[k]->store(r, std::memory_order_relaxed);
  }
}

// LinuxCNC's position-mode predictor; returns the new velocity in steps/s.
double position_velocity(Channel& c, double cmd, double dt, double max_ac) noexcept {
  const double vel_cmd = (cmd - c.old_pos_cmd) / dt;
  c.old_pos_cmd = cmd;
  const double curr_pos = static_cast<double>(c.accum.load(std::memory_order_relaxed) - kOneStep / 2) / kOneStep;
  const double curr_vel = c.frequency.get();
  double match_ac = vel_cmd > curr_vel ? max_ac : -max_ac;
  const double match_time = (vel_cmd - curr_vel) / match_ac;
  const double est_out = curr_pos + 0.5 * (vel_cmd + curr_vel) * match_time;
  const double est_cmd = cmd + vel_cmd * (match_time - 1.5 * dt);
  const double est_err = est_out - est_cmd;
  if (match_time < dt) {
    if (std::fabs(est_err) < 0.0001) return vel_cmd;
    const double v = vel_cmd - 0.5 * est_err / dt;
    return std::clamp(v, curr_vel - max_ac * dt, curr_vel + max_ac * dt);
  }
  const double dp = -2.0 * match_ac * dt * match_time;
  if (std::fabs(est_err + 2.0 * dp) < std::fabs(est_err)) match_ac = -match_ac;
  return curr_vel + match_ac * dt;
}

void update_freq(void* arg, int64_t period_ns) noexcept {
  auto& sg = *static_cast<Stepgen*>(arg);
  const int64_t base = sg.base_period_ns.load(std::memory_order_relaxed);
  const double tbase = static_cast<double>(base) * 1e-9;
  const double freqscale = static_cast<double>(kOneStep) * tbase;  // addval per Hz
  const double accelscale = freqscale * tbase;                       // addval change per base period per Hz/s
  const double dt = static_cast<double>(period_ns) * 1e-9;
  for (int i = 0; i < sg.count; ++i) {
    Channel& c = sg.channels[i];
    update_timing(c, base);
    double scale = c.position_scale.get();
    if (std::fabs(scale) < 1e-20) {
      scale = 1.0;
      c.position_scale.set(scale);
    }
    const bool enabled = c.enable.get();
    c.enabled.store(enabled, std::memory_order_relaxed);
    if (!enabled) {
      if (c.position_mode) c.old_pos_cmd = c.command.get() * scale;
      c.frequency.set(0.0);
      c.target_addval.store(0, std::memory_order_relaxed);
      continue;
    }
    // Limits in steps/s and steps/s^2.
    double max_freq = 1e9 / static_cast<double>(c.steplen_ns.load() + c.stepspace_ns.load());
    if (c.maxvel.get() < 0) c.maxvel.set(0.0);
    if (c.maxaccel.get() < 0) c.maxaccel.set(0.0);
    if (c.maxvel.get() * std::fabs(scale) > max_freq) {
      c.maxvel.set(max_freq / std::fabs(scale));  // clamped and written back
    } else if (c.maxvel.get() > 0) {
      max_freq = c.maxvel.get() * std::fabs(scale);
    }
    double max_ac = max_freq / dt;
    if (c.maxaccel.get() > 0) max_ac = std::min(max_ac, c.maxaccel.get() * std::fabs(scale));
    double new_vel = 0;
    if (c.position_mode) {
      new_vel = position_velocity(c, c.command.get() * scale, dt, max_ac);
    } else {
      const double vel_cmd = std::clamp(c.command.get() * scale, -max_freq, max_freq);
      const double curr = c.frequency.get();
      new_vel = std::clamp(vel_cmd, curr - max_ac * dt, curr + max_ac * dt);
    }
    new_vel = std::clamp(new_vel, -max_freq, max_freq);
    c.frequency.set(new_vel);
    // Truncated towards zero, as LinuxCNC's conversions to its integer accumulator (a deltalim of 0 jumps).
    c.target_addval.store(static_cast<int64_t>(new_vel * freqscale), std::memory_order_relaxed);
    c.deltalim.store(static_cast<int64_t>(max_ac * accelscale), std::memory_order_relaxed);
  }
}

void capture_position(void* arg, int64_t /*period*/) noexcept {
  auto& sg = *static_cast<Stepgen*>(arg);
  for (int i = 0; i < sg.count; ++i) {
    Channel& c = sg.channels[i];
    const int64_t accum = c.accum.load(std::memory_order_relaxed);
    c.counts.set(static_cast<int32_t>(accum >> kPickoff));
    c.position_fb.set(static_cast<double>(accum - kOneStep / 2) / kOneStep / c.position_scale.get());
  }
}

// Parses one whole-number list entry; false on junk.
bool parse_int(const std::string& text, int& value) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

// user_step_type=a,b,...: 2 to 10 states, each a bit mask of the phases A (1) to E (16). The highest phase
// used sets the number of phase pins.
Result<PhasePattern> parse_user_pattern(const std::string& text) {
  auto steps = split_list("user_step_type", text);
  if (!steps) return steps.error();
  if (steps->size() < 2 || steps->size() > kMaxPatternLength) {
    return Error{"user_step_type=" + text + ": give 2 to " + std::to_string(kMaxPatternLength) +
                 " states (a pattern of " + std::to_string(steps->size()) + " cannot step)"};
  }
  PhasePattern p;
  unsigned used = 0;
  for (const std::string& step : *steps) {
    int mask = -1;
    if (!parse_int(step, mask) || mask < 0 || mask >= (1 << kMaxPhases)) {
      return Error{"user_step_type=" + text + ": state '" + step + "' (state " + std::to_string(p.length) +
                   ") is not a bit mask of phases A (1) to E (16), 0 to 31"};
    }
    p.states[p.length++] = static_cast<uint8_t>(mask);
    used |= static_cast<unsigned>(mask);
  }
  if (used == 0) return Error{"user_step_type=" + text + ": no state turns a phase on"};
  while ((used >> p.phases) != 0) ++p.phases;
  return p;
}

// step_type=...: one number per channel, 0..15; 15 needs user_step_type=.
Result<std::vector<int>> parse_step_types(const std::vector<std::string>& types, bool have_user_pattern) {
  std::vector<int> numbers;
  for (std::size_t i = 0; i < types.size(); ++i) {
    const std::string& t = types[i];
    int type = -1;
    if (!parse_int(t, type) || type < 0 || type > kMaxStepType) {
      return Error{"step_type=" + t + " (channel " + std::to_string(i) +
                   "): step types are 0 (step/dir), 1 (up/down), 2 to 14 (phase patterns) and 15 (user_step_type=)"};
    }
    if (type == kUserStepType && !have_user_pattern) {
      return Error{"step_type=15 (channel " + std::to_string(i) + ") needs user_step_type= (the phase pattern)"};
    }
    numbers.push_back(type);
  }
  return numbers;
}

}  // namespace

Status load_stepgen(Hal& hal, LoadArgs& args) {
  auto types_text = args.take("step_type");
  if (!types_text) return Error{"loadrt stepgen: step_type= is required (one 0 per channel, e.g. step_type=0,0,0)"};
  auto types = split_list("step_type", *types_text);
  if (!types) return Error{"loadrt stepgen: " + types.error().message};
  if (types->size() > 16) return Error{"loadrt stepgen: at most 16 channels"};
  std::vector<std::string> ctrl(types->size(), "p");
  if (auto c = args.take("ctrl_type")) {
    auto list = split_list("ctrl_type", *c);
    if (!list) return Error{"loadrt stepgen: " + list.error().message};
    if (list->size() > types->size()) return Error{"loadrt stepgen: more ctrl_type= entries than step_type= entries"};
    std::copy(list->begin(), list->end(), ctrl.begin());
  }
  PhasePattern user_pattern;
  const auto user_text = args.take("user_step_type");
  if (user_text) {
    auto parsed = parse_user_pattern(*user_text);
    if (!parsed) return Error{"loadrt stepgen: " + parsed.error().message};
    user_pattern = *parsed;
  }
  auto type_numbers = parse_step_types(*types, user_text.has_value());
  if (!type_numbers) return Error{"loadrt stepgen: " + type_numbers.error().message};
  for (std::size_t i = 0; i < ctrl.size(); ++i) {
    if (ctrl[i] != "p" && ctrl[i] != "P" && ctrl[i] != "v" && ctrl[i] != "V") {
      return Error{"loadrt stepgen: ctrl_type=" + ctrl[i] + " (channel " + std::to_string(i) + "): expected p or v"};
    }
  }
  if (auto st = args.check_all_used("stepgen"); !st) return Error{"loadrt stepgen: " + st.error().message};
  return load_component(hal, "stepgen", [&](Builder& b) -> Status {
    auto& sg = b.make<Stepgen>();
    sg.count = static_cast<int>(types->size());
    sg.channels = std::make_unique<Channel[]>(types->size());
    for (int i = 0; i < sg.count; ++i) {
      Channel& c = sg.channels[i];
      c.position_mode = ctrl[i] == "p" || ctrl[i] == "P";
      c.step_type = (*type_numbers)[static_cast<std::size_t>(i)];
      if (c.step_type >= 2) c.pattern = c.step_type == kUserStepType ? user_pattern : kPatterns[c.step_type - 2];
      const std::string n = "stepgen." + std::to_string(i);
      b.pin(n + (c.position_mode ? ".position-cmd" : ".velocity-cmd"), Dir::kIn, c.command);
      b.pin(n + ".enable", Dir::kIn, c.enable);
      b.pin(n + ".counts", Dir::kOut, c.counts);
      b.pin(n + ".position-fb", Dir::kOut, c.position_fb);
      if (c.step_type == 0) {
        b.pin(n + ".step", Dir::kOut, c.step);
        b.pin(n + ".dir", Dir::kOut, c.dir);
      } else if (c.step_type == 1) {
        b.pin(n + ".up", Dir::kOut, c.up);
        b.pin(n + ".down", Dir::kOut, c.down);
      } else {
        const PhasePattern& p = c.pattern;
        for (int k = 0; k < p.phases; ++k) {
          b.pin(n + ".phase-" + std::string(1, static_cast<char>('A' + k)), Dir::kOut, c.phase[k],
                ((p.states[0] >> k) & 1U) != 0);
        }
      }
      b.param(n + ".rawcounts", ParamDir::kRo, c.rawcounts);
      b.param(n + ".position-scale", ParamDir::kRw, c.position_scale);
      b.param(n + ".maxvel", ParamDir::kRw, c.maxvel);
      b.param(n + ".maxaccel", ParamDir::kRw, c.maxaccel);
      b.param(n + ".frequency", ParamDir::kRo, c.frequency);
      b.param(n + ".steplen", ParamDir::kRw, c.steplen);
      if (c.step_type <= 1) b.param(n + ".stepspace", ParamDir::kRw, c.stepspace);
      if (c.step_type == 0) {
        b.param(n + ".dirsetup", ParamDir::kRw, c.dirsetup);
        b.param(n + ".dirhold", ParamDir::kRw, c.dirhold);
      } else {
        b.param(n + ".dirdelay", ParamDir::kRw, c.dirhold);  // LinuxCNC keeps it in dirhold's place
      }
    }
    b.function("stepgen.make-pulses", &make_pulses, &sg);
    b.function("stepgen.update-freq", &update_freq, &sg);
    b.function("stepgen.capture-position", &capture_position, &sg);
    return Ok{};
  });
}

}  // namespace rtstep::hal
