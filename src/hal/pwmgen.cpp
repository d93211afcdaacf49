// pwmgen: software PWM and PDM, as LinuxCNC's pwmgen.
//
//   loadrt pwmgen output_type=T[,T...]     (up to 8 channels; 0 = pwm, 1 = pwm + dir, 2 = up/down)
//
// Two functions cover all channels:
//   pwmgen.update (servo thread): duty cycle dc = value / scale + offset; type 0 is one-quadrant (a negative
//     dc becomes 0), types 1 and 2 carry the sign as a direction; |dc| is clamped to [min-dc, max-dc]. It
//     fixes the PWM period in whole base periods from pwm-freq (at most half the base rate; 0 = PDM) and
//     shows the duty cycle actually produced in curr-dc (quantized to base periods unless dither-pwm).
//   pwmgen.make-pulses (base thread): counts base periods. PWM: the output is high for the first
//     `high` base periods of each PWM period, `high` chosen at the start of the period: round(|dc| * period),
//     or with dither-pwm the floor of |dc| * period plus the remainder carried over from earlier periods, so
//     the average duty cycle is exact. PDM (pwm-freq 0): a first-order sigma-delta modulator, one decision
//     per base period.
// The functions share only relaxed atomics with one writer each (update writes, make-pulses reads), so
// they may run in different threads. Both are real-time safe.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <memory>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

constexpr int kMaxChannels = 8;

struct Channel {
  int type = 0;  // 0 pwm, 1 pwm + dir, 2 up/down
  Pin<bool> enable;
  Pin<double> value, scale, offset, pwm_freq, min_dc, max_dc, curr_dc;
  Pin<bool> dither;
  Pin<bool> pwm, dir, up, down;

  // Written by update, read by make-pulses.
  std::atomic<bool> enabled{false};
  std::atomic<uint64_t> duty_bits{0};     // |dc| as double bits
  std::atomic<bool> negative{false};      // dc < 0 (types 1 and 2)
  std::atomic<int64_t> period_cycles{0};  // base periods per PWM period; 0 = PDM
  std::atomic<bool> dithered{false};
  // make-pulses only.
  int64_t counter = 0;  // base periods into the current PWM period
  int64_t high = 0;     // base periods high in the current PWM period
  double carry = 0;     // dither remainder / PDM accumulator, in base periods
};

struct Pwmgen : Instance {
  std::unique_ptr<Channel[]> channels;
  int count = 0;
  std::atomic<int64_t> base_period_ns{0};  // written by make-pulses, read by update
};

// The duty cycle this channel asks for, signed, after scale, offset and the limits.
double requested_duty(Channel& c) noexcept {
  double scale = c.scale.get();
  if (std::fabs(scale) < 1e-20) scale = 1.0;  // as LinuxCNC: a zero scale means 1
  double dc = c.value.get() / scale + c.offset.get();
  if (c.type == 0 && dc < 0) dc = 0;
  const double max_dc = std::clamp(c.max_dc.get(), 0.0, 1.0);
  const double min_dc = std::clamp(c.min_dc.get(), 0.0, max_dc);
  const double mag = std::clamp(std::fabs(dc), min_dc, max_dc);
  return dc < 0 ? -mag : mag;
}

void update(void* arg, int64_t /*period_ns*/) noexcept {
  auto& g = *static_cast<Pwmgen*>(arg);
  const int64_t base = g.base_period_ns.load(std::memory_order_relaxed);
  for (int i = 0; i < g.count; ++i) {
    Channel& c = g.channels[i];
    const bool enabled = c.enable.get();
    if (!enabled || base <= 0) {
      c.enabled.store(false, std::memory_order_relaxed);
      c.curr_dc.set(0.0);
      continue;
    }
    const double dc = requested_duty(c);
    const double mag = std::fabs(dc);
    // PWM period in whole base periods: at least 2 (a high and a low), 0 for PDM.
    const double freq = c.pwm_freq.get();
    int64_t cycles = 0;
    if (freq > 0) cycles = std::max<int64_t>(2, std::llround(1e9 / (freq * static_cast<double>(base))));
    const bool dither = c.dither.get();
    double produced = mag;
    if (cycles > 0 && !dither) produced = static_cast<double>(std::llround(mag * static_cast<double>(cycles))) /
                                          static_cast<double>(cycles);
    c.duty_bits.store(std::bit_cast<uint64_t>(mag), std::memory_order_relaxed);
    c.negative.store(dc < 0, std::memory_order_relaxed);
    c.period_cycles.store(cycles, std::memory_order_relaxed);
    c.dithered.store(dither, std::memory_order_relaxed);
    c.enabled.store(true, std::memory_order_relaxed);
    c.curr_dc.set(dc < 0 ? -produced : produced);
  }
}

// One base period of one channel: is the output high?
bool next_level(Channel& c) noexcept {
  const double mag = std::bit_cast<double>(c.duty_bits.load(std::memory_order_relaxed));
  const int64_t cycles = c.period_cycles.load(std::memory_order_relaxed);
  if (cycles == 0) {  // PDM: high whenever the accumulated demand reaches a whole base period
    c.carry += mag;
    if (c.carry >= 1.0) {
      c.carry -= 1.0;
      return true;
    }
    return false;
  }
  if (c.counter >= cycles) c.counter = 0;
  if (c.counter == 0) {  // a new PWM period: choose its high time
    const double want = mag * static_cast<double>(cycles);
    if (c.dithered.load(std::memory_order_relaxed)) {
      const double with_carry = want + c.carry;
      c.high = std::clamp<int64_t>(static_cast<int64_t>(std::floor(with_carry)), 0, cycles);
      c.carry = with_carry - static_cast<double>(c.high);
    } else {
      c.high = std::llround(want);
      c.carry = 0;
    }
  }
  return c.counter++ < c.high;
}

void make_pulses(void* arg, int64_t period_ns) noexcept {
  auto& g = *static_cast<Pwmgen*>(arg);
  g.base_period_ns.store(period_ns, std::memory_order_relaxed);
  for (int i = 0; i < g.count; ++i) {
    Channel& c = g.channels[i];
    bool level = false;
    bool negative = false;
    if (c.enabled.load(std::memory_order_relaxed)) {
      level = next_level(c);
      negative = c.negative.load(std::memory_order_relaxed);
    } else {
      c.counter = 0;
      c.carry = 0;
    }
    switch (c.type) {
      case 0: c.pwm.set(level); break;
      case 1:
        c.pwm.set(level);
        c.dir.set(negative);
        break;
      default:
        c.up.set(level && !negative);
        c.down.set(level && negative);
        break;
    }
  }
}

}  // namespace

Status load_pwmgen(Hal& hal, LoadArgs& args) {
  auto types_text = args.take("output_type");
  if (!types_text) return Error{"loadrt pwmgen: output_type= is required (one per channel: 0 pwm, 1 pwm+dir, 2 up/down)"};
  auto types = split_list("output_type", *types_text);
  if (!types) return Error{"loadrt pwmgen: " + types.error().message};
  if (types->size() > kMaxChannels) return Error{"loadrt pwmgen: at most 8 channels"};
  for (std::size_t i = 0; i < types->size(); ++i) {
    const std::string& t = (*types)[i];
    if (t != "0" && t != "1" && t != "2") {
      return Error{"loadrt pwmgen: output_type=" + t + " (channel " + std::to_string(i) +
                   "): expected 0 (pwm), 1 (pwm + dir) or 2 (up/down)"};
    }
  }
  if (auto st = args.check_all_used("pwmgen"); !st) return Error{"loadrt pwmgen: " + st.error().message};
  return load_component(hal, "pwmgen", [&](Builder& b) -> Status {
    auto& g = b.make<Pwmgen>();
    g.count = static_cast<int>(types->size());
    g.channels = std::make_unique<Channel[]>(types->size());
    for (int i = 0; i < g.count; ++i) {
      Channel& c = g.channels[i];
      c.type = (*types)[i][0] - '0';
      const std::string n = "pwmgen." + std::to_string(i);
      b.pin(n + ".enable", Dir::kIn, c.enable);
      b.pin(n + ".value", Dir::kIn, c.value);
      b.pin(n + ".scale", Dir::kIn, c.scale, 1.0);
      b.pin(n + ".offset", Dir::kIn, c.offset);
      b.pin(n + ".dither-pwm", Dir::kIn, c.dither);
      b.pin(n + ".pwm-freq", Dir::kIn, c.pwm_freq);
      b.pin(n + ".min-dc", Dir::kIn, c.min_dc);
      b.pin(n + ".max-dc", Dir::kIn, c.max_dc, 1.0);
      b.pin(n + ".curr-dc", Dir::kOut, c.curr_dc);
      if (c.type == 2) {
        b.pin(n + ".up", Dir::kOut, c.up);
        b.pin(n + ".down", Dir::kOut, c.down);
      } else {
        b.pin(n + ".pwm", Dir::kOut, c.pwm);
        if (c.type == 1) b.pin(n + ".dir", Dir::kOut, c.dir);
      }
    }
    b.function("pwmgen.make-pulses", &make_pulses, &g);
    b.function("pwmgen.update", &update, &g);
    return Ok{};
  });
}

}  // namespace rtstep::hal
