// estop_latch and charge_pump, as LinuxCNC's. Functions are real-time safe.
#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

struct EstopLatch : Instance {
  Pin<bool> ok_in, fault_in, reset, ok_out, fault_out, watchdog;
  bool ok = false;        // starts faulted
  bool old_reset = false;
};

// Any fault trips at once; a rising edge of reset while ok-in and not fault-in clears it; the watchdog
// toggles every cycle while OK.
void estop_latch_fn(void* arg, int64_t /*period*/) noexcept {
  auto& e = *static_cast<EstopLatch*>(arg);
  const bool reset = e.reset.get();
  if (!e.ok_in.get() || e.fault_in.get()) {
    e.ok = false;
  } else if (reset && !e.old_reset) {
    e.ok = true;
  }
  e.old_reset = reset;
  e.ok_out.set(e.ok);
  e.fault_out.set(!e.ok);
  e.watchdog.set(e.ok ? !e.watchdog.get() : false);
}

struct ChargePump : Instance {
  Pin<bool> out, out_2, out_4, enable;
  uint32_t count = 0;
};

// out toggles every call (f = 1/(2T)); out-2 and out-4 at a half and a quarter of that.
void charge_pump_fn(void* arg, int64_t /*period*/) noexcept {
  auto& c = *static_cast<ChargePump*>(arg);
  if (!c.enable.get()) {
    c.count = 0;
    c.out.set(false);
    c.out_2.set(false);
    c.out_4.set(false);
    return;
  }
  ++c.count;
  c.out.set((c.count & 1U) != 0);
  c.out_2.set((c.count & 2U) != 0);
  c.out_4.set((c.count & 4U) != 0);
}

}  // namespace

Status load_estop_latch(Hal& hal, LoadArgs& args) {
  return load_each<EstopLatch>(hal, args, "estop_latch", [](Builder& b, EstopLatch& e, const std::string& p) {
    b.pin(p + ".ok-in", Dir::kIn, e.ok_in, true);
    b.pin(p + ".fault-in", Dir::kIn, e.fault_in, false);
    b.pin(p + ".reset", Dir::kIn, e.reset);
    b.pin(p + ".ok-out", Dir::kOut, e.ok_out, false);
    b.pin(p + ".fault-out", Dir::kOut, e.fault_out, true);
    b.pin(p + ".watchdog", Dir::kOut, e.watchdog);
    b.function(p, &estop_latch_fn, &e);
  });
}

Status load_charge_pump(Hal& hal, LoadArgs& args) {
  if (auto st = args.check_all_used("charge_pump"); !st) return Error{"loadrt charge_pump: " + st.error().message};
  return load_component(hal, "charge_pump", [&](Builder& b) -> Status {
    auto& c = b.make<ChargePump>();  // a singleton: names without an instance number
    b.pin("charge-pump.out", Dir::kOut, c.out);
    b.pin("charge-pump.out-2", Dir::kOut, c.out_2);
    b.pin("charge-pump.out-4", Dir::kOut, c.out_4);
    b.pin("charge-pump.enable", Dir::kIn, c.enable, true);
    b.function("charge-pump", &charge_pump_fn, &c);
    return Ok{};
  });
}

}  // namespace rtstep::hal
