// Filters with LinuxCNC's names and behaviour: limit3 (position, velocity and acceleration limits on a
// followed signal) and biquad (a second-order IIR filter, direct coefficients, low pass or notch). Each
// instance exports one function named after it (`limit3.0`); the functions are real-time safe
// (arithmetic on pins and the instance's own state).
#include <cmath>
#include <numbers>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

constexpr double kBig = 1e20;  // LinuxCNC's "no limit" default

double seconds(int64_t period_ns) noexcept { return static_cast<double>(period_ns) * 1e-9; }

// --- limit3 ---
//
// out follows in (or 0 while enable is off) without leaving [min, max], faster than maxv or with more
// acceleration than maxa. Each period it looks at what one period of ±maxa can reach, then picks a goal:
// a limit it would otherwise cross, or the input's predicted position; it then accelerates fully towards
// the goal, lands on it smoothly over the last `smooth-steps` periods, or brakes fully when it would
// overshoot. The decisions and their order are LinuxCNC's, so a file tuned there behaves the same.

struct Limit3 : Instance {
  Pin<double> in, out, min, max, maxv, maxa;
  Pin<bool> enable, load;
  Pin<uint32_t> smooth_steps;
  double in_old = 0;   // the followed value one period ago
  double out_old = 0;  // out one period ago
};

constexpr double kLimit3Eps = 1e-9;  // slack for rounding in the comparisons below

// What one period of full acceleration either way can reach from the current output.
struct Reach {
  double min_vel, max_vel;  // velocities after one period
  double min_pos, max_pos;  // positions after one period
};

// A goal to steer towards: the range it may end in, where it is now and where it was a period ago,
// the velocity difference to remove, and where the output ends when it removes it at full acceleration.
struct Goal {
  double lo, hi, cur, prev;
  double vel_diff;  // output velocity minus the goal's
  double ach_lo, ach_hi;
};

// Chooses the goal: a limit that full braking cannot stay inside, a limit the input lies beyond for
// longer than it takes to meet it, or else the input itself.
Goal limit3_goal(double target, double in_old, double out, double out_vel, double in_vel, double period,
                 double maxa, double lo_limit, double hi_limit, const Reach& r) noexcept {
  const auto can_reach = [&](double p) { return p <= r.max_pos && p >= r.min_pos; };
  // Where the output stops when it brakes at maxa, counted from the previous period.
  const double stop_hi = out + r.max_vel / 2 * (std::fabs(-r.max_vel / maxa) + period);
  const double stop_lo = out + r.min_vel / 2 * (std::fabs(-r.min_vel / maxa) + period);
  // Where output and input are when the output has matched the input's velocity.
  const double match_t_hi = std::fabs((in_vel - r.max_vel) / maxa) - period;
  const double match_t_lo = std::fabs((in_vel - r.min_vel) / maxa) - period;
  const double out_hi = r.max_pos + (r.max_vel + in_vel) / 2 * match_t_hi;
  const double out_lo = r.min_pos + (r.min_vel + in_vel) / 2 * match_t_lo;
  const double in_hi = target + in_vel * match_t_hi;
  const double in_lo = target + in_vel * match_t_lo;

  // Stopping at a limit: the velocity to match is 0, the reachable positions are the stopping points.
  const auto at_limit = [&](double limit) { return Goal{limit, limit, limit, limit, -out_vel, stop_lo, stop_hi}; };
  if (stop_hi > hi_limit + kLimit3Eps && !can_reach(hi_limit)) return at_limit(hi_limit);
  if (stop_lo < lo_limit - kLimit3Eps && !can_reach(lo_limit)) return at_limit(lo_limit);
  if (target >= hi_limit && in_hi > out_hi) return at_limit(hi_limit);
  if (target <= lo_limit && in_lo < out_lo) return at_limit(lo_limit);
  return Goal{in_lo, in_hi, target, in_old, out_vel - in_vel, out_lo, out_hi};
}

// The next output value.
double limit3_next(const Limit3& l, double target, double period) noexcept {
  const double out = l.out.get();
  const double maxv = l.maxv.get(), maxa = l.maxa.get();
  const double in_vel = (target - l.in_old) / period;
  const double out_vel = (out - l.out_old) / period;
  Reach r{};
  r.min_vel = std::fmax(out_vel - maxa * period, -maxv);
  r.max_vel = std::fmin(out_vel + maxa * period, maxv);
  r.min_pos = out + r.min_vel * period;
  r.max_pos = out + r.max_vel * period;
  const Goal g = limit3_goal(target, l.in_old, out, out_vel, in_vel, period, maxa, l.min.get(), l.max.get(), r);
  const double vel_diff = g.vel_diff;
  // Time to reach the goal at uniform acceleration from the last period's position difference.
  const double t = std::fabs(vel_diff) < kLimit3Eps ? 0 : (out - g.prev) / (vel_diff / 2);

  if (g.cur <= r.max_pos && g.cur >= r.min_pos && std::fabs(t) <= period) return g.cur;  // lands now
  if (g.ach_hi < g.hi + kLimit3Eps) return r.max_pos;  // full acceleration up still falls short
  if (g.ach_lo > g.lo - kLimit3Eps) return r.min_pos;  // full acceleration down still falls short
  if (std::fabs(t) < period * l.smooth_steps.get()) {
    // Close: reach the goal in a whole number of periods (rounded away from zero) at uniform acceleration.
    const double sign = t >= 0 ? 1.0 : -1.0;
    const double ti = std::trunc((t - kLimit3Eps * sign) / period + sign) * period;
    const double v = out_vel + vel_diff / ti * period;
    return std::fmin(r.max_pos, std::fmax(r.min_pos, out + v * period));
  }
  if (g.hi + kLimit3Eps < g.ach_hi && g.prev > out) return r.min_pos;  // overshooting upwards: brake
  if (g.lo - kLimit3Eps > g.ach_lo && g.prev < out) return r.max_pos;  // overshooting downwards: brake
  return (r.min_pos + r.max_pos) / 2;                                 // not reached in practice: coast
}

void limit3_fn(void* arg, int64_t period_ns) noexcept {
  auto& l = *static_cast<Limit3*>(arg);
  const double target = l.enable.get() ? l.in.get() : 0.0;
  const double out = l.out.get();
  double next = 0;
  double followed = target;
  if (l.load.get()) {
    next = std::fmin(l.max.get(), std::fmax(l.min.get(), target));  // jump, limited to [min, max] only
    followed = next;
  } else {
    next = limit3_next(l, target, seconds(period_ns));
  }
  l.out_old = out;
  l.out.set(next);
  l.in_old = followed;
}

// --- biquad ---
//
// H(z) = (n0 + n1 z^-1 + n2 z^-2) / (1 + d1 z^-1 + d2 z^-2) in transposed direct form II. The rising
// edge of enable computes the coefficients for `type` (0: n0..d2 as set, 1: low pass, 2: notch, both
// from f0 and Q); an invalid design (Q outside [0.5, 2], f0 above half the call rate, another type)
// clears `valid`, and while disabled or invalid the input passes through.

struct Biquad : Instance {
  Pin<double> in, out, f0, q, s1, s2;
  Pin<bool> enable, valid;
  Pin<uint32_t> type;
  Param<double> d1{0.0}, d2{0.0}, n0{1.0}, n1{0.0}, n2{0.0};
  bool last_enable = false;
};

enum : uint32_t { kBiquadDirect = 0, kBiquadLowPass = 1, kBiquadNotch = 2 };

// Designs a low pass or notch section (the audio-EQ-cookbook formulas) into the coefficient params and
// clears the state; returns false (leaving everything) when the design is invalid.
bool biquad_design(Biquad& b, int64_t period_ns) noexcept {
  const double rate = 1.0 / seconds(period_ns);
  const double f0 = b.f0.get(), q = b.q.get();
  if (f0 > rate / 2.0 || q > 2.0 || q < 0.5) return false;
  const double w0 = 2.0 * std::numbers::pi * f0 / rate;
  const double alpha = std::sin(w0) / (2.0 * q), cosw = std::cos(w0);
  double b0 = 0, b1 = 0, b2 = 0;
  switch (b.type.get()) {
    case kBiquadLowPass:
      b0 = (1.0 - cosw) / 2.0;
      b1 = 1.0 - cosw;
      b2 = b0;
      break;
    case kBiquadNotch:
      b0 = 1.0;
      b1 = -2.0 * cosw;
      b2 = 1.0;
      break;
    default:
      return false;
  }
  const double a0 = 1.0 + alpha, a1 = -2.0 * cosw, a2 = 1.0 - alpha;
  b.n0.set(b0 / a0);
  b.n1.set(b1 / a0);
  b.n2.set(b2 / a0);
  b.d1.set(a1 / a0);
  b.d2.set(a2 / a0);
  b.s1.set(0.0);
  b.s2.set(0.0);
  return true;
}

void biquad_fn(void* arg, int64_t period_ns) noexcept {
  auto& b = *static_cast<Biquad*>(arg);
  const bool enable = b.enable.get();
  if (enable != b.last_enable) {
    b.last_enable = enable;
    if (enable) {
      if (b.type.get() == kBiquadDirect) {
        b.valid.set(true);
      } else {
        b.valid.set(false);
        b.valid.set(biquad_design(b, period_ns));
      }
    }
  }
  const double in = b.in.get();
  if (!enable || !b.valid.get()) {
    b.out.set(in);
    return;
  }
  const double out = in * b.n0.get() + b.s1.get();
  b.out.set(out);
  b.s1.set(in * b.n1.get() - out * b.d1.get() + b.s2.get());
  b.s2.set(in * b.n2.get() - out * b.d2.get());
}

}  // namespace

Status load_limit3(Hal& hal, LoadArgs& args) {
  return load_each<Limit3>(hal, args, "limit3", [](Builder& b, Limit3& l, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, l.in);
    b.pin(n + ".enable", Dir::kIn, l.enable, true);
    b.pin(n + ".out", Dir::kOut, l.out);
    b.pin(n + ".load", Dir::kIn, l.load);
    b.pin(n + ".min", Dir::kIn, l.min, -kBig);
    b.pin(n + ".max", Dir::kIn, l.max, kBig);
    b.pin(n + ".maxv", Dir::kIn, l.maxv, kBig);
    b.pin(n + ".maxa", Dir::kIn, l.maxa, 1e7);
    b.pin(n + ".smooth-steps", Dir::kIn, l.smooth_steps, uint32_t{2});
    b.function(n, &limit3_fn, &l);
  });
}

Status load_biquad(Hal& hal, LoadArgs& args) {
  return load_each<Biquad>(hal, args, "biquad", [](Builder& b, Biquad& q, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, q.in);
    b.pin(n + ".out", Dir::kOut, q.out);
    b.pin(n + ".enable", Dir::kIn, q.enable);
    b.pin(n + ".valid", Dir::kOut, q.valid);
    b.pin(n + ".type", Dir::kIn, q.type);
    b.pin(n + ".f0", Dir::kIn, q.f0, 250.0);
    b.pin(n + ".Q", Dir::kIn, q.q, 0.7071);
    b.param(n + ".d1", ParamDir::kRw, q.d1);
    b.param(n + ".d2", ParamDir::kRw, q.d2);
    b.param(n + ".n0", ParamDir::kRw, q.n0);
    b.param(n + ".n1", ParamDir::kRw, q.n1);
    b.param(n + ".n2", ParamDir::kRw, q.n2);
    b.pin(n + ".s1", Dir::kOut, q.s1);
    b.pin(n + ".s2", Dir::kOut, q.s2);
    b.function(n, &biquad_fn, &q);
  });
}

}  // namespace rtstep::hal
