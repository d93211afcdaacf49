// Arithmetic components with LinuxCNC's names and behaviour: abs, ddt, integ, sum2, deadzone, limit1,
// limit2, ilowpass, near, comp, wcomp, mux4, minmax, threadtest. Each instance exports one function named after it (`abs.0`),
// as halcompile's `function _`; the functions are real-time safe (arithmetic on pins only). Periods
// arrive in ns and are used in seconds (halcompile's fperiod).
#include <cmath>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

constexpr double kBig = 1e20;  // LinuxCNC's "no limit" default of min/max/maxv pins

double seconds(int64_t period_ns) noexcept { return static_cast<double>(period_ns) * 1e-9; }
double clamp(double v, double lo, double hi) noexcept { return v < lo ? lo : (v > hi ? hi : v); }

struct Abs : Instance {
  Pin<double> in, out;
  Pin<bool> sign, is_positive, is_negative;
};
void abs_fn(void* arg, int64_t) noexcept {
  auto& a = *static_cast<Abs*>(arg);
  const double in = a.in.get();
  a.out.set(std::fabs(in));
  a.sign.set(in < 0);
  a.is_positive.set(in > 0);
  a.is_negative.set(in < 0);
}

// out = (in - previous in) / period.
struct Ddt : Instance {
  Pin<double> in, out;
  double old = 0;
};
void ddt_fn(void* arg, int64_t period) noexcept {
  auto& d = *static_cast<Ddt*>(arg);
  const double in = d.in.get();
  d.out.set((in - d.old) / seconds(period));
  d.old = in;
}

// out += gain * in * period, clamped to [min, max]; reset holds it at 0.
struct Integ : Instance {
  Pin<double> in, gain, out, max, min;
  Pin<bool> reset;
};
void integ_fn(void* arg, int64_t period) noexcept {
  auto& g = *static_cast<Integ*>(arg);
  double out = g.reset.get() ? 0.0 : g.out.get() + g.gain.get() * g.in.get() * seconds(period);
  if (out > g.max.get()) out = g.max.get();
  if (out < g.min.get()) out = g.min.get();
  g.out.set(out);
}

struct Sum2 : Instance {
  Pin<double> in0, in1, out;
  Param<double> gain0{1.0}, gain1{1.0}, offset{0.0};
};
void sum2_fn(void* arg, int64_t) noexcept {
  auto& s = *static_cast<Sum2*>(arg);
  s.out.set(s.in0.get() * s.gain0.get() + s.in1.get() * s.gain1.get() + s.offset.get());
}

// Inside center +- threshold/2: center; outside: in moved threshold/2 towards the center.
struct Deadzone : Instance {
  Pin<double> in, out;
  Param<double> center{0.0}, threshold{1.0};
};
void deadzone_fn(void* arg, int64_t) noexcept {
  auto& d = *static_cast<Deadzone*>(arg);
  const double half = d.threshold.get() / 2, center = d.center.get(), in = d.in.get();
  d.out.set(in < center - half ? in + half : (in > center + half ? in - half : center));
}

struct Limit1 : Instance {
  Pin<double> in, out, min, max;
};
void limit1_fn(void* arg, int64_t) noexcept {
  auto& l = *static_cast<Limit1*>(arg);
  l.out.set(clamp(l.in.get(), l.min.get(), l.max.get()));
}

// Clamped to [min, max], then slewed by at most maxv per second; load jumps to the clamped input.
struct Limit2 : Instance {
  Pin<double> in, out, min, max, maxv;
  Pin<bool> load;
  double old_out = 0;
};
void limit2_fn(void* arg, int64_t period) noexcept {
  auto& l = *static_cast<Limit2*>(arg);
  double v = clamp(l.in.get(), l.min.get(), l.max.get());
  if (!l.load.get()) {
    const double step = l.maxv.get() * seconds(period);
    v = clamp(v, l.old_out - step, l.old_out + step);
  }
  l.old_out = v;
  l.out.set(v);
}

// value += (in - value) * gain; out = round(value * scale).
struct Ilowpass : Instance {
  Pin<int32_t> in, out;
  Param<double> scale{1024.0}, gain{0.5};
  double value = 0;
};
void ilowpass_fn(void* arg, int64_t) noexcept {
  auto& l = *static_cast<Ilowpass*>(arg);
  l.value += (static_cast<double>(l.in.get()) - l.value) * l.gain.get();
  l.out.set(static_cast<int32_t>(static_cast<int64_t>(std::floor(l.value * l.scale.get() + 0.5))));
}

// in1 and in2 within a factor `scale` of each other (scale > 1), or at most `difference` apart.
struct Near : Instance {
  Pin<double> in1, in2;
  Pin<bool> out;
  Param<double> scale{1.0}, difference{0.0};
};
void near_fn(void* arg, int64_t) noexcept {
  auto& n = *static_cast<Near*>(arg);
  double a = n.in1.get(), b = n.in2.get();
  if (a < 0) {
    a = -a;
    b = -b;
  }
  const double scale = n.scale.get();
  n.out.set((scale > 1 && a / scale <= b && b <= a * scale) || std::fabs(a - b) <= n.difference.get());
}

// Comparator with hysteresis: out switches on above +hyst/2, off below -hyst/2 (in1 - in0); equal inside.
struct Comp : Instance {
  Pin<double> in0, in1;
  Pin<bool> out, equal;
  Param<double> hyst{0.0};
};
void comp_fn(void* arg, int64_t) noexcept {
  auto& c = *static_cast<Comp*>(arg);
  const double d = c.in1.get() - c.in0.get(), half = 0.5 * c.hyst.get();
  if (d < -half) {
    c.out.set(false);
    c.equal.set(false);
  } else if (d > half) {
    c.out.set(true);
    c.equal.set(false);
  } else {
    c.equal.set(true);  // out keeps its state: the hysteresis
  }
}

// Window comparator: out strictly inside (min, max), under at or below min, over at or above max.
struct Wcomp : Instance {
  Pin<double> in, min, max;
  Pin<bool> out, under, over;
};
void wcomp_fn(void* arg, int64_t) noexcept {
  auto& w = *static_cast<Wcomp*>(arg);
  const double in = w.in.get(), lo = w.min.get(), hi = w.max.get();
  w.out.set(lo < in && in < hi);
  w.under.set(in <= lo);
  w.over.set(in >= hi);
}

struct Mux4 : Instance {
  Pin<bool> sel0, sel1;
  Pin<double> in0, in1, in2, in3, out;
};
void mux4_fn(void* arg, int64_t) noexcept {
  auto& m = *static_cast<Mux4*>(arg);
  const int sel = (m.sel1.get() ? 2 : 0) + (m.sel0.get() ? 1 : 0);
  const Pin<double>* in[] = {&m.in0, &m.in1, &m.in2, &m.in3};
  m.out.set(in[sel]->get());
}

// The extremes of `in` since the start or the last reset (reset copies in to both).
struct Minmax : Instance {
  Pin<double> in, max, min;
  Pin<bool> reset;
};
void minmax_fn(void* arg, int64_t) noexcept {
  auto& m = *static_cast<Minmax*>(arg);
  const double in = m.in.get();
  if (m.reset.get()) {
    m.max.set(in);
    m.min.set(in);
    return;
  }
  if (in > m.max.get()) m.max.set(in);
  if (in < m.min.get()) m.min.set(in);
}

// LinuxCNC's thread test: `increment` adds one to count, `reset` sets it to 0; put in two threads, a
// sampler on the fast one shows whether a slow thread's function ever ran in the middle of a fast cycle.
struct Threadtest : Instance {
  Pin<uint32_t> count;
};
void threadtest_increment(void* arg, int64_t) noexcept {
  auto& t = *static_cast<Threadtest*>(arg);
  t.count.set(t.count.get() + 1);
}
void threadtest_reset(void* arg, int64_t) noexcept { static_cast<Threadtest*>(arg)->count.set(0); }

}  // namespace

Status load_threadtest(Hal& hal, LoadArgs& args) {
  return load_each<Threadtest>(hal, args, "threadtest", [](Builder& b, Threadtest& t, const std::string& n) {
    b.pin(n + ".count", Dir::kOut, t.count);
    b.function(n + ".increment", &threadtest_increment, &t);
    b.function(n + ".reset", &threadtest_reset, &t);
  });
}

Status load_minmax(Hal& hal, LoadArgs& args) {
  return load_each<Minmax>(hal, args, "minmax", [](Builder& b, Minmax& m, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, m.in);
    b.pin(n + ".reset", Dir::kIn, m.reset);
    b.pin(n + ".max", Dir::kOut, m.max);
    b.pin(n + ".min", Dir::kOut, m.min);
    b.function(n, &minmax_fn, &m);
  });
}

Status load_abs(Hal& hal, LoadArgs& args) {
  return load_each<Abs>(hal, args, "abs", [](Builder& b, Abs& a, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, a.in);
    b.pin(n + ".out", Dir::kOut, a.out);
    b.pin(n + ".sign", Dir::kOut, a.sign);
    b.pin(n + ".is-positive", Dir::kOut, a.is_positive);
    b.pin(n + ".is-negative", Dir::kOut, a.is_negative);
    b.function(n, &abs_fn, &a);
  });
}

Status load_ddt(Hal& hal, LoadArgs& args) {
  return load_each<Ddt>(hal, args, "ddt", [](Builder& b, Ddt& d, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, d.in);
    b.pin(n + ".out", Dir::kOut, d.out);
    b.function(n, &ddt_fn, &d);
  });
}

Status load_integ(Hal& hal, LoadArgs& args) {
  return load_each<Integ>(hal, args, "integ", [](Builder& b, Integ& g, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, g.in);
    b.pin(n + ".gain", Dir::kIn, g.gain, 1.0);
    b.pin(n + ".out", Dir::kOut, g.out);
    b.pin(n + ".reset", Dir::kIn, g.reset);
    b.pin(n + ".max", Dir::kIn, g.max, kBig);
    b.pin(n + ".min", Dir::kIn, g.min, -kBig);
    b.function(n, &integ_fn, &g);
  });
}

Status load_sum2(Hal& hal, LoadArgs& args) {
  return load_each<Sum2>(hal, args, "sum2", [](Builder& b, Sum2& s, const std::string& n) {
    b.pin(n + ".in0", Dir::kIn, s.in0);
    b.pin(n + ".in1", Dir::kIn, s.in1);
    b.pin(n + ".out", Dir::kOut, s.out);
    b.param(n + ".gain0", ParamDir::kRw, s.gain0);
    b.param(n + ".gain1", ParamDir::kRw, s.gain1);
    b.param(n + ".offset", ParamDir::kRw, s.offset);
    b.function(n, &sum2_fn, &s);
  });
}

Status load_deadzone(Hal& hal, LoadArgs& args) {
  return load_each<Deadzone>(hal, args, "deadzone", [](Builder& b, Deadzone& d, const std::string& n) {
    b.param(n + ".center", ParamDir::kRw, d.center);
    b.param(n + ".threshold", ParamDir::kRw, d.threshold);
    b.pin(n + ".in", Dir::kIn, d.in);
    b.pin(n + ".out", Dir::kOut, d.out);
    b.function(n, &deadzone_fn, &d);
  });
}

Status load_limit1(Hal& hal, LoadArgs& args) {
  return load_each<Limit1>(hal, args, "limit1", [](Builder& b, Limit1& l, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, l.in);
    b.pin(n + ".out", Dir::kOut, l.out);
    b.pin(n + ".min", Dir::kIn, l.min, -kBig);
    b.pin(n + ".max", Dir::kIn, l.max, kBig);
    b.function(n, &limit1_fn, &l);
  });
}

Status load_limit2(Hal& hal, LoadArgs& args) {
  return load_each<Limit2>(hal, args, "limit2", [](Builder& b, Limit2& l, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, l.in);
    b.pin(n + ".out", Dir::kOut, l.out);
    b.pin(n + ".load", Dir::kIn, l.load);
    b.pin(n + ".min", Dir::kIn, l.min, -kBig);
    b.pin(n + ".max", Dir::kIn, l.max, kBig);
    b.pin(n + ".maxv", Dir::kIn, l.maxv, kBig);
    b.function(n, &limit2_fn, &l);
  });
}

Status load_ilowpass(Hal& hal, LoadArgs& args) {
  return load_each<Ilowpass>(hal, args, "ilowpass", [](Builder& b, Ilowpass& l, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, l.in);
    b.pin(n + ".out", Dir::kOut, l.out);
    b.param(n + ".scale", ParamDir::kRw, l.scale);
    b.param(n + ".gain", ParamDir::kRw, l.gain);
    b.function(n, &ilowpass_fn, &l);
  });
}

Status load_near(Hal& hal, LoadArgs& args) {
  return load_each<Near>(hal, args, "near", [](Builder& b, Near& x, const std::string& n) {
    b.pin(n + ".in1", Dir::kIn, x.in1);
    b.pin(n + ".in2", Dir::kIn, x.in2);
    b.param(n + ".scale", ParamDir::kRw, x.scale);
    b.param(n + ".difference", ParamDir::kRw, x.difference);
    b.pin(n + ".out", Dir::kOut, x.out);
    b.function(n, &near_fn, &x);
  });
}

Status load_comp(Hal& hal, LoadArgs& args) {
  return load_each<Comp>(hal, args, "comp", [](Builder& b, Comp& c, const std::string& n) {
    b.pin(n + ".in0", Dir::kIn, c.in0);
    b.pin(n + ".in1", Dir::kIn, c.in1);
    b.pin(n + ".out", Dir::kOut, c.out);
    b.pin(n + ".equal", Dir::kOut, c.equal);
    b.param(n + ".hyst", ParamDir::kRw, c.hyst);
    b.function(n, &comp_fn, &c);
  });
}

Status load_wcomp(Hal& hal, LoadArgs& args) {
  return load_each<Wcomp>(hal, args, "wcomp", [](Builder& b, Wcomp& w, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, w.in);
    b.pin(n + ".min", Dir::kIn, w.min);
    b.pin(n + ".max", Dir::kIn, w.max);
    b.pin(n + ".out", Dir::kOut, w.out);
    b.pin(n + ".under", Dir::kOut, w.under);
    b.pin(n + ".over", Dir::kOut, w.over);
    b.function(n, &wcomp_fn, &w);
  });
}

Status load_mux4(Hal& hal, LoadArgs& args) {
  return load_each<Mux4>(hal, args, "mux4", [](Builder& b, Mux4& m, const std::string& n) {
    b.pin(n + ".sel0", Dir::kIn, m.sel0);
    b.pin(n + ".sel1", Dir::kIn, m.sel1);
    b.pin(n + ".out", Dir::kOut, m.out);
    b.pin(n + ".in0", Dir::kIn, m.in0);
    b.pin(n + ".in1", Dir::kIn, m.in1);
    b.pin(n + ".in2", Dir::kIn, m.in2);
    b.pin(n + ".in3", Dir::kIn, m.in3);
    b.function(n, &mux4_fn, &m);
  });
}

}  // namespace rtstep::hal
