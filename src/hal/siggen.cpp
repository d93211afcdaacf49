// siggen: a signal generator, as LinuxCNC's. A phase in [0, 1) advances frequency * period per call;
// the outputs are square, sawtooth, triangle, sine and cosine of that phase scaled by amplitude and
// shifted by offset, and clock (TRUE in the second half of the cycle). The frequency is limited to half
// the call rate and the limit is written back to the pin. Real-time safe.
#include <cmath>
#include <numbers>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

struct Siggen : Instance {
  Pin<double> frequency, amplitude, offset;
  Pin<bool> reset;
  Pin<double> square, sawtooth, triangle, sine, cosine;
  Pin<bool> clock;
  double phase = 0.0;
};

void siggen_fn(void* arg, int64_t period_ns) noexcept {
  auto& s = *static_cast<Siggen*>(arg);
  const double dt = static_cast<double>(period_ns) * 1e-9;
  double f = s.frequency.get();
  if (f > 0.5 / dt) {
    f = 0.5 / dt;
    s.frequency.set(f);
  } else if (f < -0.5 / dt) {
    f = -0.5 / dt;
    s.frequency.set(f);
  }
  if (s.reset.get()) {
    s.phase = 0.5;
  } else {
    s.phase += f * dt;
    s.phase -= std::floor(s.phase);  // into [0, 1), for either sign of f
  }
  const double x = s.phase;
  const double a = s.amplitude.get();
  const double o = s.offset.get();
  const bool high = x >= 0.5;
  s.square.set((high ? a : -a) + o);
  s.sawtooth.set((2.0 * x - 1.0) * a + o);
  s.triangle.set((x < 0.5 ? 4.0 * x - 1.0 : 3.0 - 4.0 * x) * a + o);
  s.sine.set(std::sin(2.0 * std::numbers::pi * x) * a + o);
  s.cosine.set(std::cos(2.0 * std::numbers::pi * x) * a + o);
  s.clock.set(high);
}

}  // namespace

Status load_siggen(Hal& hal, LoadArgs& args) {
  args.alias("num_chan", "count");  // LinuxCNC's name for the channel count
  return load_each<Siggen>(hal, args, "siggen", [](Builder& b, Siggen& s, const std::string& n) {
    b.pin(n + ".frequency", Dir::kIn, s.frequency, 1.0);
    b.pin(n + ".amplitude", Dir::kIn, s.amplitude, 1.0);
    b.pin(n + ".offset", Dir::kIn, s.offset);
    b.pin(n + ".reset", Dir::kIn, s.reset);
    b.pin(n + ".square", Dir::kOut, s.square);
    b.pin(n + ".sawtooth", Dir::kOut, s.sawtooth);
    b.pin(n + ".triangle", Dir::kOut, s.triangle);
    b.pin(n + ".sine", Dir::kOut, s.sine);
    b.pin(n + ".cosine", Dir::kOut, s.cosine);
    b.pin(n + ".clock", Dir::kOut, s.clock);
    b.function(n + ".update", &siggen_fn, &s);
  });
}

}  // namespace rtstep::hal
