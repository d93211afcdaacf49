// timedelta: a latency probe, as LinuxCNC's. Each call measures the time since the previous call (out),
// keeps its minimum and maximum, the jitter max(max - period, period - min), this sample's deviation
// (current-error, signed; current-jitter, absolute), the cumulative error (err) and its mean per sample
// (avg-err). `reset` restarts all of them. Real-time safe (the clock only).
#include <time.h>

#include <algorithm>
#include <cstdlib>

#include "hal/component.hpp"
#include "util/clock.hpp"

namespace rtstep::hal {

namespace {

struct Timedelta : Instance {
  Pin<int32_t> out, min, max, jitter, current_jitter, current_error;
  Pin<int64_t> err;
  Pin<double> avg_err;
  Pin<bool> reset;
  int64_t last = 0;
  int64_t count = 0;
  bool first = true;
};

int32_t to_s32(int64_t v) noexcept { return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)); }

void timedelta_fn(void* arg, int64_t period_ns) noexcept {
  auto& t = *static_cast<Timedelta*>(arg);
  const int64_t now = monotonic_ns();
  if (t.reset.get() || t.first) {
    t.first = false;
    t.last = now;
    t.count = 0;
    t.out.set(0);
    t.min.set(0);
    t.max.set(0);
    t.jitter.set(0);
    t.err.set(0);
    t.avg_err.set(0.0);
    t.current_jitter.set(0);
    t.current_error.set(0);
    return;
  }
  const int64_t delta = now - t.last;
  t.last = now;
  const int64_t dev = delta - period_ns;
  t.out.set(to_s32(delta));
  if (t.count == 0 || delta < t.min.get()) t.min.set(to_s32(delta));
  if (t.count == 0 || delta > t.max.get()) t.max.set(to_s32(delta));
  ++t.count;
  t.jitter.set(to_s32(std::max<int64_t>(t.max.get() - period_ns, period_ns - t.min.get())));
  t.current_error.set(to_s32(dev));
  t.current_jitter.set(to_s32(std::llabs(dev)));
  t.err.set(t.err.get() + dev);
  t.avg_err.set(static_cast<double>(t.err.get()) / static_cast<double>(t.count));
}

}  // namespace

Status load_timedelta(Hal& hal, LoadArgs& args) {
  return load_each<Timedelta>(hal, args, "timedelta", [](Builder& b, Timedelta& t, const std::string& n) {
    b.pin(n + ".out", Dir::kOut, t.out);
    b.pin(n + ".err", Dir::kOut, t.err);
    b.pin(n + ".min", Dir::kOut, t.min);
    b.pin(n + ".max", Dir::kOut, t.max);
    b.pin(n + ".jitter", Dir::kOut, t.jitter);
    b.pin(n + ".avg-err", Dir::kOut, t.avg_err);
    b.pin(n + ".current-jitter", Dir::kOut, t.current_jitter);
    b.pin(n + ".current-error", Dir::kOut, t.current_error);
    b.pin(n + ".reset", Dir::kIn, t.reset);
    b.function(n, &timedelta_fn, &t);
  });
}

}  // namespace rtstep::hal
