// Small combinational components, as LinuxCNC's: and2, or2, not, mux2, scale, lowpass. Each instance
// exports one function named after it (`and2.0`); the functions are real-time safe (arithmetic only).
#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

struct Gate2 : Instance {
  Pin<bool> in0, in1, out;
};
struct Not : Instance {
  Pin<bool> in, out;
};
struct Mux2 : Instance {
  Pin<bool> sel;
  Pin<double> in0, in1, out;
};
struct Scale : Instance {
  Pin<double> in, gain, offset, out;
};
struct Lowpass : Instance {
  Pin<double> in, out;
  Pin<bool> load;
  Param<double> gain{1.0};
};

void and2_fn(void* arg, int64_t /*period*/) noexcept {
  auto& g = *static_cast<Gate2*>(arg);
  g.out.set(g.in0.get() && g.in1.get());
}
void or2_fn(void* arg, int64_t /*period*/) noexcept {
  auto& g = *static_cast<Gate2*>(arg);
  g.out.set(g.in0.get() || g.in1.get());
}
void not_fn(void* arg, int64_t /*period*/) noexcept {
  auto& n = *static_cast<Not*>(arg);
  n.out.set(!n.in.get());
}
void mux2_fn(void* arg, int64_t /*period*/) noexcept {
  auto& m = *static_cast<Mux2*>(arg);
  m.out.set(m.sel.get() ? m.in1.get() : m.in0.get());
}
void scale_fn(void* arg, int64_t /*period*/) noexcept {
  auto& s = *static_cast<Scale*>(arg);
  s.out.set(s.in.get() * s.gain.get() + s.offset.get());
}
// out += (in - out) * gain; `load` copies in to out.
void lowpass_fn(void* arg, int64_t /*period*/) noexcept {
  auto& l = *static_cast<Lowpass*>(arg);
  const double in = l.in.get();
  if (l.load.get()) {
    l.out.set(in);
  } else {
    const double out = l.out.get();
    l.out.set(out + (in - out) * l.gain.get());
  }
}

template <FunctionFn Fn>
Status load_gate2(Hal& hal, LoadArgs& args, const std::string& comp) {
  return load_each<Gate2>(hal, args, comp, [](Builder& b, Gate2& g, const std::string& n) {
    b.pin(n + ".in0", Dir::kIn, g.in0);
    b.pin(n + ".in1", Dir::kIn, g.in1);
    b.pin(n + ".out", Dir::kOut, g.out);
    b.function(n, Fn, &g);
  });
}

}  // namespace

Status load_and2(Hal& hal, LoadArgs& args) { return load_gate2<&and2_fn>(hal, args, "and2"); }
Status load_or2(Hal& hal, LoadArgs& args) { return load_gate2<&or2_fn>(hal, args, "or2"); }

Status load_not(Hal& hal, LoadArgs& args) {
  return load_each<Not>(hal, args, "not", [](Builder& b, Not& g, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, g.in);
    b.pin(n + ".out", Dir::kOut, g.out);
    b.function(n, &not_fn, &g);
  });
}

Status load_mux2(Hal& hal, LoadArgs& args) {
  return load_each<Mux2>(hal, args, "mux2", [](Builder& b, Mux2& m, const std::string& n) {
    b.pin(n + ".sel", Dir::kIn, m.sel);
    b.pin(n + ".in0", Dir::kIn, m.in0);
    b.pin(n + ".in1", Dir::kIn, m.in1);
    b.pin(n + ".out", Dir::kOut, m.out);
    b.function(n, &mux2_fn, &m);
  });
}

Status load_scale(Hal& hal, LoadArgs& args) {
  return load_each<Scale>(hal, args, "scale", [](Builder& b, Scale& s, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, s.in);
    b.pin(n + ".gain", Dir::kIn, s.gain, 1.0);
    b.pin(n + ".offset", Dir::kIn, s.offset);
    b.pin(n + ".out", Dir::kOut, s.out);
    b.function(n, &scale_fn, &s);
  });
}

Status load_lowpass(Hal& hal, LoadArgs& args) {
  return load_each<Lowpass>(hal, args, "lowpass", [](Builder& b, Lowpass& l, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, l.in);
    b.pin(n + ".out", Dir::kOut, l.out);
    b.pin(n + ".load", Dir::kIn, l.load);
    b.param(n + ".gain", ParamDir::kRw, l.gain);
    b.function(n, &lowpass_fn, &l);
  });
}

}  // namespace rtstep::hal
