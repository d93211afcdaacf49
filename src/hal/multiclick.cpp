// LinuxCNC's multiclick: single-, double-, triple- and quadruple-click detection on a bit input. The
// function `multiclick.N` is real-time safe (arithmetic on pins and the instance's own state).
//
// A click is the input going true and false again within max-hold-ns; the clicks of a multi-click are
// separated by at most max-space-ns of false input. `K-click` pulses (for output-hold-ns) as soon as the
// K-th click ends; `K-click-only` pulses once max-space-ns has passed after it without a further click.
// Holding the input longer than max-hold-ns, or a fifth click, ends the sequence until the input is
// released. The `state` pin shows the state machine's state with LinuxCNC's numbers (below), so a file
// that watches it reads the same values.
#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

constexpr int kMaxClicks = 4;
// States: 0 idle; 2k-1 the k-th press seen (k = 1..4); 2k the k-th click seen; 9 held too long.
constexpr int32_t kIdle = 0;
constexpr int32_t kHeldTooLong = 2 * kMaxClicks + 1;

struct Multiclick : Instance {
  Pin<bool> in;
  Pin<bool> click[kMaxClicks];       // single-click, double-click, …
  Pin<bool> click_only[kMaxClicks];  // single-click-only, …
  Pin<int32_t> state;
  Param<bool> invert_input{false};
  Param<uint32_t> max_hold_ns{250000000}, max_space_ns{250000000}, output_hold_ns{100000000};
  int32_t current = kIdle;
  // Times in ns, in 32 bits as LinuxCNC keeps them (so they wrap the same way).
  uint32_t timer = 0, timeout = 0;
  uint32_t click_hold[kMaxClicks] = {}, click_only_hold[kMaxClicks] = {};
};

// Counts an output pulse down by one period; the pin drops when its time is used up.
void count_down(uint32_t& hold, Pin<bool>& pin, int64_t period) noexcept {
  if (hold == 0) return;
  if (hold > period) {
    hold -= static_cast<uint32_t>(period);
  } else {
    hold = 0;
    pin.set(false);
  }
}

void pulse(uint32_t& hold, Pin<bool>& pin, uint32_t width) noexcept {
  pin.set(true);
  hold = width;
}

// One input sample through the state machine.
void step_state(Multiclick& m, bool in) noexcept {
  const int32_t s = m.current;
  const auto enter = [&](int32_t next, uint32_t timeout) {
    m.current = next;
    m.timer = 0;
    m.timeout = timeout;
  };
  if (s == kHeldTooLong) {
    if (!in) m.current = kIdle;
  } else if (s == 2 * kMaxClicks) {
    if (in) m.current = kHeldTooLong;  // a fifth click: more than we count
  } else if (s % 2 == 0) {               // idle or after the k-th click: waiting for a press
    if (in) enter(s + 1, m.max_hold_ns.get());
  } else if (!in) {  // pressed: the release completes click k
    const int k = (s + 1) / 2;
    enter(s + 1, m.max_space_ns.get());
    pulse(m.click_hold[k - 1], m.click[k - 1], m.output_hold_ns.get());
  }
}

void multiclick_fn(void* arg, int64_t period) noexcept {
  auto& m = *static_cast<Multiclick*>(arg);
  const bool in = m.in.get() != m.invert_input.get();
  if (m.current != kIdle) m.timer += static_cast<uint32_t>(period);
  for (int k = 0; k < kMaxClicks; ++k) {
    count_down(m.click_hold[k], m.click[k], period);
    count_down(m.click_only_hold[k], m.click_only[k], period);
  }
  step_state(m, in);
  if (m.current != kIdle && m.current != kHeldTooLong && m.timer > m.timeout) {
    if (in) {
      m.current = kHeldTooLong;
    } else {
      // The space after click k ran out: it was exactly k clicks.
      if (m.current % 2 == 0) {
        const int k = m.current / 2;
        pulse(m.click_only_hold[k - 1], m.click_only[k - 1], m.output_hold_ns.get());
      }
      m.current = kIdle;
    }
  }
  m.state.set(m.current);
}

}  // namespace

Status load_multiclick(Hal& hal, LoadArgs& args) {
  return load_each<Multiclick>(hal, args, "multiclick", [](Builder& b, Multiclick& m, const std::string& n) {
    static constexpr const char* kNames[kMaxClicks] = {"single", "double", "triple", "quadruple"};
    b.pin(n + ".in", Dir::kIn, m.in);
    for (int k = 0; k < kMaxClicks; ++k) {
      b.pin(n + "." + kNames[k] + "-click", Dir::kOut, m.click[k]);
      b.pin(n + "." + kNames[k] + "-click-only", Dir::kOut, m.click_only[k]);
    }
    b.pin(n + ".state", Dir::kOut, m.state);
    b.param(n + ".invert-input", ParamDir::kRw, m.invert_input);
    b.param(n + ".max-hold-ns", ParamDir::kRw, m.max_hold_ns);
    b.param(n + ".max-space-ns", ParamDir::kRw, m.max_space_ns);
    b.param(n + ".output-hold-ns", ParamDir::kRw, m.output_hold_ns);
    b.function(n, &multiclick_fn, &m);
  });
}

}  // namespace rtstep::hal
