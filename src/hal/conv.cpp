// conv_<from>_<to>: type converters, as LinuxCNC's. Pins `in` and `out`; when the source range exceeds
// the target's, also `out-of-range` (OUT) and `clamp` (RW param, default FALSE): out-of-range values are
// clamped when it is set, else integers wrap (C conversion) and floats saturate (a C cast would be
// undefined). Real-time safe.
#include <cmath>
#include <limits>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

template <typename T>
constexpr long double lowest() {
  return std::is_same_v<T, bool> ? 0.0L : static_cast<long double>(std::numeric_limits<T>::lowest());
}
template <typename T>
constexpr long double highest() {
  return std::is_same_v<T, bool> ? 1.0L : static_cast<long double>(std::numeric_limits<T>::max());
}
template <typename From, typename To>
constexpr bool can_overflow() {
  return lowest<From>() < lowest<To>() || highest<From>() > highest<To>();
}

template <typename From, typename To>
struct Conv : Instance {
  Pin<From> in;
  Pin<To> out;
  Pin<bool> out_of_range;
  Param<bool> clamp{false};
};

template <typename From, typename To>
void conv_fn(void* arg, int64_t /*period*/) noexcept {
  auto& c = *static_cast<Conv<From, To>*>(arg);
  const From in = c.in.get();
  if constexpr (!can_overflow<From, To>()) {
    c.out.set(static_cast<To>(in));
  } else {
    const long double v = static_cast<long double>(in);
    const bool below = v < lowest<To>() || (std::is_floating_point_v<From> && std::isnan(v));
    const bool above = v > highest<To>();
    c.out_of_range.set(below || above);
    if (!below && !above) {
      c.out.set(static_cast<To>(in));
    } else if (c.clamp.get() || std::is_floating_point_v<From> || std::is_same_v<To, bool>) {
      c.out.set(below ? static_cast<To>(lowest<To>()) : static_cast<To>(highest<To>()));
    } else if constexpr (!std::is_floating_point_v<From> && !std::is_same_v<To, bool>) {
      c.out.set(static_cast<To>(in));  // modular for integers
    }
  }
}

template <typename From, typename To>
Status load_pair(Hal& hal, LoadArgs& args, const std::string& comp) {
  return load_each<Conv<From, To>>(hal, args, comp, [](Builder& b, Conv<From, To>& c, const std::string& n) {
    b.pin(n + ".in", Dir::kIn, c.in);
    b.pin(n + ".out", Dir::kOut, c.out);
    if constexpr (can_overflow<From, To>()) {
      b.pin(n + ".out-of-range", Dir::kOut, c.out_of_range);
      b.param(n + ".clamp", ParamDir::kRw, c.clamp);
    }
    b.function(n, &conv_fn<From, To>, &c);
  });
}

template <typename From>
Status load_from(Hal& hal, LoadArgs& args, const std::string& comp, std::string_view to) {
  if (to == "bit" && !std::is_same_v<From, bool>) return load_pair<From, bool>(hal, args, comp);
  if (to == "float" && !std::is_same_v<From, double>) return load_pair<From, double>(hal, args, comp);
  if (to == "s32" && !std::is_same_v<From, int32_t>) return load_pair<From, int32_t>(hal, args, comp);
  if (to == "u32" && !std::is_same_v<From, uint32_t>) return load_pair<From, uint32_t>(hal, args, comp);
  if (to == "s64" && !std::is_same_v<From, int64_t>) return load_pair<From, int64_t>(hal, args, comp);
  if (to == "u64" && !std::is_same_v<From, uint64_t>) return load_pair<From, uint64_t>(hal, args, comp);
  return Error{"loadrt " + comp + ": unknown component (conv_FROM_TO with two different types of bit, float, "
               "s32, u32, s64, u64)"};
}

}  // namespace

Status load_conv(Hal& hal, LoadArgs& args, std::string_view name) {
  const std::string comp(name);
  const std::string_view rest = name.substr(5);  // after "conv_"
  const std::size_t us = rest.find('_');
  const std::string_view from = rest.substr(0, us);
  const std::string_view to = us == std::string_view::npos ? std::string_view{} : rest.substr(us + 1);
  if (from == "bit") return load_from<bool>(hal, args, comp, to);
  if (from == "float") return load_from<double>(hal, args, comp, to);
  if (from == "s32") return load_from<int32_t>(hal, args, comp, to);
  if (from == "u32") return load_from<uint32_t>(hal, args, comp, to);
  if (from == "s64") return load_from<int64_t>(hal, args, comp, to);
  if (from == "u64") return load_from<uint64_t>(hal, args, comp, to);
  return load_from<bool>(hal, args, comp, "");  // the error message
}

}  // namespace rtstep::hal
