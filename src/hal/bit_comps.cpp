// Bit components with LinuxCNC's names and behaviour: xor2, logic (personality=), edge, flipflop, oneshot,
// timedelay, toggle, select8, debounce (cfg= groups); and trivkins, tpmod, homemod, accepted with a message because rtstep's
// motmod and planner take their place. Functions are real-time safe (pin arithmetic and counters only).
#include <charconv>
#include <cstdlib>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

double seconds(int64_t period_ns) noexcept { return static_cast<double>(period_ns) * 1e-9; }

struct Xor2 : Instance {
  Pin<bool> in0, in1, out;
};
void xor2_fn(void* arg, int64_t) noexcept {
  auto& x = *static_cast<Xor2*>(arg);
  x.out.set(x.in0.get() != x.in1.get());
}

// A pulse of out-width-ns on the chosen edge (in-edge TRUE: falling, FALSE: rising; both: either); with
// width 0, one period high.
struct Edge : Instance {
  Pin<bool> in, out, out_invert;
  Param<bool> both{false}, in_edge{true}, last_in{false};
  Param<int32_t> out_width_ns{0}, time_left_ns{0};
  bool first = true;  // the first call only learns the input: a level present at start is no edge
};
// The pulse's time runs down before the edge test, so a width shorter than a period gives one period.
void edge_fn(void* arg, int64_t period) noexcept {
  auto& e = *static_cast<Edge*>(arg);
  const bool in = e.in.get(), last = e.last_in.get();
  int32_t left = e.time_left_ns.get();
  if (left > 0) {
    left = static_cast<int32_t>(left - period);
    e.time_left_ns.set(left);
  }
  if (e.first) {
    e.first = false;
  } else {
    const bool rise = in && !last, fall = !in && last;
    const bool wanted = e.both.get() ? (rise || fall) : (e.in_edge.get() ? fall : rise);
    if (wanted) {
      e.time_left_ns.set(e.out_width_ns.get());
      e.out.set(true);
    } else if (left > 0) {
      e.out.set(true);
    } else {
      e.time_left_ns.set(0);
      e.out.set(false);
    }
  }
  e.last_in.set(in);
  e.out_invert.set(!e.out.get());
}

// D flip-flop: reset wins over set; otherwise a rising clk copies data.
struct Flipflop : Instance {
  Pin<bool> data, clk, set, reset, out, out_not;
  bool old_clk = false;
};
void flipflop_fn(void* arg, int64_t) noexcept {
  auto& f = *static_cast<Flipflop*>(arg);
  const bool clk = f.clk.get();
  if (f.reset.get()) {
    f.out.set(false);
  } else if (f.set.get()) {
    f.out.set(true);
  } else if (clk && !f.old_clk) {
    f.out.set(f.data.get());
  }
  f.out_not.set(!f.out.get());
  f.old_clk = clk;
}

// A pulse of `width` seconds on the chosen edges; retriggerable edges restart it.
struct Oneshot : Instance {
  Pin<bool> in, reset, out, out_not;
  Pin<double> width, time_left;
  Param<bool> retriggerable{true}, rising{true}, falling{false};
  double timer = 0;
  bool old_in = false;
};
void oneshot_fn(void* arg, int64_t period) noexcept {
  auto& o = *static_cast<Oneshot*>(arg);
  if (o.reset.get()) {
    o.timer = 0;
    o.old_in = false;
    o.out.set(false);
    o.out_not.set(true);
    return;
  }
  const bool in = o.in.get();
  bool trigger = (in && !o.old_in && o.rising.get()) || (!in && o.old_in && o.falling.get());
  o.old_in = in;
  if (o.timer > 0) {
    if (!o.retriggerable.get()) trigger = false;  // edges during a pulse are ignored
    o.timer -= seconds(period);
    if (o.timer < 0) o.timer = 0;
  }
  if (trigger) o.timer = o.width.get();
  o.time_left.set(o.timer);
  o.out.set(o.timer > 0);
  o.out_not.set(!(o.timer > 0));
}

// out follows in once in has differed from it for on-delay (rising) or off-delay (falling) seconds.
struct Timedelay : Instance {
  Pin<bool> in, out;
  Pin<double> on_delay, off_delay, elapsed;
  double timer = 0;
};
void timedelay_fn(void* arg, int64_t period) noexcept {
  auto& t = *static_cast<Timedelay*>(arg);
  const bool in = t.in.get();
  if (in == t.out.get()) {
    t.timer = 0;
    return;
  }
  t.timer += seconds(period);
  t.elapsed.set(t.timer);
  if (t.timer >= (in ? t.on_delay.get() : t.off_delay.get())) {
    t.out.set(in);
    t.timer = 0;
  }
}

// Push-on, push-off: each press held for `debounce` periods toggles out (I/O: it may be set elsewhere).
struct Toggle : Instance {
  Pin<bool> in, out;
  Param<uint32_t> debounce{2};
  int counter = 0;
  bool pressed = false;
};
void toggle_fn(void* arg, int64_t) noexcept {
  auto& t = *static_cast<Toggle*>(arg);
  if (t.debounce.get() < 1 || t.debounce.get() > 10000) t.debounce.set(2);  // LinuxCNC's sane range
  const int limit = static_cast<int>(t.debounce.get());
  if (t.in.get()) {
    if (++t.counter >= limit) {
      t.counter = limit;
      if (!t.pressed) t.out.set(!t.out.get());
      t.pressed = true;
    }
  } else if (--t.counter <= 0) {
    t.counter = 0;
    t.pressed = false;
  }
}

struct Select8 : Instance {
  Pin<bool> enable;
  Pin<int32_t> sel;
  Pin<bool> out[8];
};
void select8_fn(void* arg, int64_t) noexcept {
  auto& s = *static_cast<Select8*>(arg);
  const bool enable = s.enable.get();
  const int32_t sel = s.sel.get();
  for (int32_t m = 0; m < 8; ++m) s.out[m].set(enable && sel == m);
}

// One debounce group: every filter counts up while its input is TRUE and down while FALSE, between 0 and
// `delay`; the output turns TRUE at `delay` and FALSE at 0.
inline constexpr int kMaxFilters = 32;
struct DebounceGroup : Instance {
  Param<int32_t> delay{5};
  int size = 0;
  Pin<bool> in[kMaxFilters];
  Pin<bool> out[kMaxFilters];
  int32_t count[kMaxFilters] = {};
};
void debounce_fn(void* arg, int64_t) noexcept {
  auto& g = *static_cast<DebounceGroup*>(arg);
  const int32_t delay = g.delay.get() < 1 ? 1 : g.delay.get();
  for (int i = 0; i < g.size; ++i) {
    int32_t& c = g.count[i];
    if (g.in[i].get()) {
      if (++c >= delay) {
        c = delay;
        g.out[i].set(true);
      }
    } else if (--c <= 0) {
      c = 0;
      g.out[i].set(false);
    }
  }
}

// and / or / xor (odd parity) / nand / nor of the first (personality & 0xff) inputs; an output exists
// only when its personality bit (0x100, 0x200, 0x400, 0x800, 0x1000) is set.
inline constexpr int kLogicInputs = 16;
struct Logic : Instance {
  int personality = 0;
  Pin<bool> in[kLogicInputs];
  Pin<bool> and_, or_, xor_, nand, nor;
};
void logic_fn(void* arg, int64_t) noexcept {
  auto& l = *static_cast<Logic*>(arg);
  bool all = true, any = false, odd = false;
  for (int i = 0; i < (l.personality & 0xff); ++i) {
    if (l.in[i].get()) {
      any = true;
      odd = !odd;
    } else {
      all = false;
    }
  }
  if (l.personality & 0x100) l.and_.set(all);
  if (l.personality & 0x200) l.or_.set(any);
  if (l.personality & 0x400) l.xor_.set(odd);
  if (l.personality & 0x800) l.nand.set(!all);
  if (l.personality & 0x1000) l.nor.set(!any);
}

}  // namespace

// `loadrt logic count=N|names=… personality=P[,P…]`: one personality per instance (missing ones are 0).
Status load_logic(Hal& hal, LoadArgs& args) {
  std::vector<int> personalities;
  if (auto text = args.take("personality")) {
    auto items = split_list("personality", *text);
    if (!items) return Error{"loadrt logic: " + items.error().message};
    for (const std::string& item : *items) {
      char* end = nullptr;
      const long v = std::strtol(item.c_str(), &end, 0);
      if (end == item.c_str() || *end != '\0' || v < 0 || (v & 0xff) > kLogicInputs || v > 0x1fff) {
        return Error{"loadrt logic: personality '" + item + "' is not inputs (0 to 16) plus output bits 0x100 to 0x1000"};
      }
      personalities.push_back(static_cast<int>(v));
    }
  }
  std::size_t index = 0;
  return load_each<Logic>(hal, args, "logic", [&](Builder& b, Logic& l, const std::string& n) {
    l.personality = index < personalities.size() ? personalities[index] : 0;
    ++index;
    for (int i = 0; i < (l.personality & 0xff); ++i) {
      b.pin(n + (i < 10 ? ".in-0" : ".in-") + std::to_string(i), Dir::kIn, l.in[i]);
    }
    if (l.personality & 0x100) b.pin(n + ".and", Dir::kOut, l.and_);
    if (l.personality & 0x200) b.pin(n + ".or", Dir::kOut, l.or_);
    if (l.personality & 0x400) b.pin(n + ".xor", Dir::kOut, l.xor_);
    if (l.personality & 0x800) b.pin(n + ".nand", Dir::kOut, l.nand);
    if (l.personality & 0x1000) b.pin(n + ".nor", Dir::kOut, l.nor);
    b.function(n, &logic_fn, &l);
  });
}

Status load_xor2(Hal& hal, LoadArgs& args) {
  return load_each<Xor2>(hal, args, "xor2", [](Builder& b, Xor2& x, const std::string& n) {
    b.pin(n + ".in0", Dir::kIn, x.in0);
    b.pin(n + ".in1", Dir::kIn, x.in1);
    b.pin(n + ".out", Dir::kOut, x.out);
    b.function(n, &xor2_fn, &x);
  });
}

Status load_edge(Hal& hal, LoadArgs& args) {
  return load_each<Edge>(hal, args, "edge", [](Builder& b, Edge& e, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, e.in);
    b.pin(n + ".out", Dir::kOut, e.out);
    b.pin(n + ".out-invert", Dir::kOut, e.out_invert);
    b.param(n + ".both", ParamDir::kRw, e.both);
    b.param(n + ".in-edge", ParamDir::kRw, e.in_edge);
    b.param(n + ".out-width-ns", ParamDir::kRw, e.out_width_ns);
    b.param(n + ".time-left-ns", ParamDir::kRo, e.time_left_ns);
    b.param(n + ".last-in", ParamDir::kRo, e.last_in);
    b.function(n, &edge_fn, &e);
  });
}

Status load_flipflop(Hal& hal, LoadArgs& args) {
  return load_each<Flipflop>(hal, args, "flipflop", [](Builder& b, Flipflop& f, const std::string& n) {
    b.pin(n + ".data", Dir::kIn, f.data);
    b.pin(n + ".clk", Dir::kIn, f.clk);
    b.pin(n + ".set", Dir::kIn, f.set);
    b.pin(n + ".reset", Dir::kIn, f.reset);
    b.pin(n + ".out", Dir::kIo, f.out);
    b.pin(n + ".out-not", Dir::kIo, f.out_not);
    b.function(n, &flipflop_fn, &f);
  });
}

Status load_oneshot(Hal& hal, LoadArgs& args) {
  return load_each<Oneshot>(hal, args, "oneshot", [](Builder& b, Oneshot& o, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, o.in);
    b.pin(n + ".reset", Dir::kIn, o.reset);
    b.pin(n + ".out", Dir::kOut, o.out);
    b.pin(n + ".out-not", Dir::kOut, o.out_not);
    b.pin(n + ".width", Dir::kIn, o.width);
    b.pin(n + ".time-left", Dir::kOut, o.time_left);
    b.param(n + ".retriggerable", ParamDir::kRw, o.retriggerable);
    b.param(n + ".rising", ParamDir::kRw, o.rising);
    b.param(n + ".falling", ParamDir::kRw, o.falling);
    b.function(n, &oneshot_fn, &o);
  });
}

Status load_timedelay(Hal& hal, LoadArgs& args) {
  return load_each<Timedelay>(hal, args, "timedelay", [](Builder& b, Timedelay& t, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, t.in);
    b.pin(n + ".out", Dir::kOut, t.out);
    b.pin(n + ".on-delay", Dir::kIn, t.on_delay, 0.5);
    b.pin(n + ".off-delay", Dir::kIn, t.off_delay, 0.5);
    b.pin(n + ".elapsed", Dir::kOut, t.elapsed);
    b.function(n, &timedelay_fn, &t);
  });
}

Status load_toggle(Hal& hal, LoadArgs& args) {
  return load_each<Toggle>(hal, args, "toggle", [](Builder& b, Toggle& t, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, t.in);
    b.pin(n + ".out", Dir::kIo, t.out);
    b.param(n + ".debounce", ParamDir::kRw, t.debounce);
    b.function(n, &toggle_fn, &t);
  });
}

Status load_select8(Hal& hal, LoadArgs& args) {
  return load_each<Select8>(hal, args, "select8", [](Builder& b, Select8& s, const std::string& n) {
    b.pin(n + ".enable", Dir::kIn, s.enable, true);
    b.pin(n + ".sel", Dir::kIn, s.sel);
    for (int m = 0; m < 8; ++m) b.pin(n + ".out" + std::to_string(m), Dir::kOut, s.out[m]);
    b.function(n, &select8_fn, &s);
  });
}

// `loadrt debounce cfg=SIZE[,SIZE...]`: group G has SIZE filters debounce.G.F.in/out, one delay and one
// function debounce.G.
Status load_debounce(Hal& hal, LoadArgs& args) {
  auto cfg = args.take("cfg");
  if (auto st = args.check_all_used("debounce"); !st) return Error{"loadrt debounce: " + st.error().message};
  if (!cfg) return Error{"loadrt debounce: needs cfg=SIZE[,SIZE...] (filters per group)"};
  auto sizes = split_list("cfg", *cfg);
  if (!sizes) return Error{"loadrt debounce: " + sizes.error().message};
  if (sizes->size() > 8) return Error{"loadrt debounce: at most 8 groups"};
  std::vector<int> counts;
  for (const std::string& s : *sizes) {
    int n = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || ptr != s.data() + s.size() || n < 1 || n > kMaxFilters) {
      return Error{"loadrt debounce: cfg=" + *cfg + ": '" + s + "' is not a group size of 1 to " + std::to_string(kMaxFilters)};
    }
    counts.push_back(n);
  }
  return load_component(hal, "debounce", [&](Builder& b) -> Status {
    for (std::size_t g = 0; g < counts.size(); ++g) {
      auto& group = b.make<DebounceGroup>();
      group.size = counts[g];
      const std::string n = "debounce." + std::to_string(g);
      for (int f = 0; f < group.size; ++f) {
        b.pin(n + "." + std::to_string(f) + ".in", Dir::kIn, group.in[f]);
        b.pin(n + "." + std::to_string(f) + ".out", Dir::kOut, group.out[f]);
      }
      b.param(n + ".delay", ParamDir::kRw, group.delay);
      b.function(n, &debounce_fn, &group);
    }
    return Ok{};
  });
}

// LinuxCNC's kinematics, trajectory planner and homing modules: rtstep's motmod plays G-code through its
// own planner and kinematics (from --config), so these load as empty components; `loadrt` prints why
// (motion_module_note).
const char* motion_module_note(std::string_view name) noexcept {
  if (name == "trivkins") return "rtstep's motmod takes its kinematics from the [printer] section of --config";
  if (name == "tpmod") return "rtstep's own planner (look-ahead, junctions) plans the moves";
  if (name == "homemod") return "G28 homes inside rtstep's planner against the endstops";
  return nullptr;
}

namespace {
Status load_motion_module(Hal& hal, const std::string& name) {
  return load_component(hal, name, [](Builder&) -> Status { return Ok{}; });
}
}  // namespace

Status load_trivkins(Hal& hal, LoadArgs& /*args*/) { return load_motion_module(hal, "trivkins"); }
Status load_tpmod(Hal& hal, LoadArgs& /*args*/) { return load_motion_module(hal, "tpmod"); }
Status load_homemod(Hal& hal, LoadArgs& /*args*/) { return load_motion_module(hal, "homemod"); }

}  // namespace rtstep::hal
