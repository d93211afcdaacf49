#pragma once
// Writing HAL components: loadrt's arguments, instance naming (count= / names=, as halcompile's), a
// builder that exports pins, params and functions and keeps the first error, and the table of built-in
// components that `loadrt` looks up. Non-real-time, except the components' functions (marked).

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hal/hal.hpp"

namespace rtstep::hal {

// loadrt's NAME=VALUE arguments. A loader takes what it knows; any left over is an error.
class LoadArgs {
 public:
  static Result<LoadArgs> parse(std::span<const std::string> tokens);
  std::optional<std::string> take(std::string_view key);
  void alias(std::string_view old_key, const std::string& new_key);  // renames an argument
  Status check_all_used(std::string_view comp) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Splits "a,b,c" (empty items are errors).
Result<std::vector<std::string>> split_list(std::string_view key, std::string_view text);

// count=N (comp.0 .. comp.N-1, default `default_count`) or names=a,b (mutually exclusive); at most `max`.
Result<std::vector<std::string>> instance_names(std::string_view prefix, LoadArgs& args, int default_count, int max);

// Exports a component's objects, keeping the first error so a loader checks once at the end.
class Builder {
 public:
  Builder(Hal& hal, int comp_id) : hal_(hal), comp_(comp_id) {}
  template <typename T>
  void pin(const std::string& name, Dir dir, Pin<T>& pin, T initial = T{}) {
    if (status_) status_ = hal_.add_pin(comp_, name, dir, pin, initial);
  }
  void raw_pin(const std::string& name, Type type, Dir dir, Pin<uint64_t>& pin) {
    if (status_) status_ = hal_.add_raw_pin(comp_, name, type, dir, pin);
  }
  template <typename T>
  void param(const std::string& name, ParamDir dir, Param<T>& param) {
    if (status_) status_ = hal_.add_param(comp_, name, dir, param);
  }
  void function(const std::string& name, FunctionFn fn, void* arg) {
    if (status_) status_ = hal_.add_function(comp_, name, fn, arg);
  }
  template <typename I>
  I& make() {
    return static_cast<I&>(*hal_.own(comp_, std::make_unique<I>()));
  }
  const Status& status() const { return status_; }
  Hal& hal() { return hal_; }
  int comp_id() const { return comp_; }

 private:
  Hal& hal_;
  int comp_;
  Status status_ = Ok{};
};

// Creates component `comp`, runs `build` on a builder, marks it ready; on an error removes it again and
// returns "loadrt COMP: message" ("loadrt COMP: already exists" when it is loaded, as LinuxCNC's loader says).
template <typename BuildFn>
Status load_component(Hal& hal, const std::string& comp, BuildFn&& build) {
  auto id = hal.add_component(comp);
  if (!id) return Error{"loadrt " + comp + ": already exists"};
  Builder b(hal, *id);
  Status st = build(b);
  if (st) st = b.status();
  if (!st) {
    hal.remove_component(*id);
    return Error{"loadrt " + comp + ": " + st.error().message};
  }
  hal.ready(*id);
  return Ok{};
}

// The common loader shape: instances from count=/names= (default 1, at most 64), no other arguments;
// `setup(builder, instance, name)` exports each one.
template <typename I, typename Setup>
Status load_each(Hal& hal, LoadArgs& args, const std::string& comp, Setup setup) {
  std::string prefix = comp;  // halcompile: '_' becomes '-' in the instance names (estop-latch.0)
  std::replace(prefix.begin(), prefix.end(), '_', '-');
  auto names = instance_names(prefix, args, 1, 64);
  if (!names) return Error{"loadrt " + comp + ": " + names.error().message};
  if (auto st = args.check_all_used(comp); !st) return Error{"loadrt " + comp + ": " + st.error().message};
  return load_component(hal, comp, [&](Builder& b) -> Status {
    for (const std::string& name : *names) {
      I& inst = b.make<I>();
      setup(b, inst, name);
    }
    return Ok{};
  });
}

// A built-in component: `loadrt NAME args`. The table is fixed (components.cpp).
using Loader = Status (*)(Hal& hal, LoadArgs& args);
struct ComponentType {
  const char* name;
  Loader load;
};
std::span<const ComponentType> builtin_components();
// conv_<from>_<to> components are not in the table: loadrt sends every conv_* name to load_conv.
const ComponentType* find_builtin_component(std::string_view name);

// Loaders, one per file.
Status load_threads(Hal& hal, LoadArgs& args);      // threads_comp.cpp
Status load_and2(Hal& hal, LoadArgs& args);         // logic.cpp
Status load_or2(Hal& hal, LoadArgs& args);
Status load_not(Hal& hal, LoadArgs& args);
Status load_mux2(Hal& hal, LoadArgs& args);
Status load_scale(Hal& hal, LoadArgs& args);
Status load_lowpass(Hal& hal, LoadArgs& args);
Status load_conv(Hal& hal, LoadArgs& args, std::string_view comp);  // conv.cpp
Status load_siggen(Hal& hal, LoadArgs& args);       // siggen.cpp
Status load_timedelta(Hal& hal, LoadArgs& args);    // timedelta.cpp
Status load_estop_latch(Hal& hal, LoadArgs& args);  // safety.cpp
Status load_charge_pump(Hal& hal, LoadArgs& args);
Status load_stepgen(Hal& hal, LoadArgs& args);      // stepgen.cpp
Status load_pid(Hal& hal, LoadArgs& args);          // pid.cpp
Status load_encoder(Hal& hal, LoadArgs& args);      // encoder.cpp
Status load_sampler(Hal& hal, LoadArgs& args);      // sampler.cpp
Status load_streamer(Hal& hal, LoadArgs& args);
Status load_motmod(Hal& hal, LoadArgs& args);       // motmod.cpp
Status load_pwmgen(Hal& hal, LoadArgs& args);       // pwmgen.cpp
Status load_hal_gpio(Hal& hal, LoadArgs& args);     // hal_gpio.cpp
Status load_abs(Hal& hal, LoadArgs& args);          // math_comps.cpp
Status load_ddt(Hal& hal, LoadArgs& args);
Status load_integ(Hal& hal, LoadArgs& args);
Status load_sum2(Hal& hal, LoadArgs& args);
Status load_deadzone(Hal& hal, LoadArgs& args);
Status load_limit1(Hal& hal, LoadArgs& args);
Status load_limit2(Hal& hal, LoadArgs& args);
Status load_ilowpass(Hal& hal, LoadArgs& args);
Status load_near(Hal& hal, LoadArgs& args);
Status load_comp(Hal& hal, LoadArgs& args);
Status load_wcomp(Hal& hal, LoadArgs& args);
Status load_mux4(Hal& hal, LoadArgs& args);
Status load_minmax(Hal& hal, LoadArgs& args);
Status load_threadtest(Hal& hal, LoadArgs& args);
Status load_xor2(Hal& hal, LoadArgs& args);         // bit_comps.cpp
Status load_logic(Hal& hal, LoadArgs& args);
Status load_edge(Hal& hal, LoadArgs& args);
Status load_flipflop(Hal& hal, LoadArgs& args);
Status load_oneshot(Hal& hal, LoadArgs& args);
Status load_timedelay(Hal& hal, LoadArgs& args);
Status load_toggle(Hal& hal, LoadArgs& args);
Status load_select8(Hal& hal, LoadArgs& args);
Status load_debounce(Hal& hal, LoadArgs& args);
Status load_limit3(Hal& hal, LoadArgs& args);       // filter_comps.cpp
Status load_biquad(Hal& hal, LoadArgs& args);
Status load_multiclick(Hal& hal, LoadArgs& args);   // multiclick.cpp
Status load_mux_generic(Hal& hal, LoadArgs& args);  // mux_generic.cpp
Status load_trivkins(Hal& hal, LoadArgs& args);
Status load_tpmod(Hal& hal, LoadArgs& args);
Status load_homemod(Hal& hal, LoadArgs& args);
// Why trivkins, tpmod or homemod load without effect (loadrt prints it); null for any other name.
const char* motion_module_note(std::string_view name) noexcept;

}  // namespace rtstep::hal
