// LinuxCNC's mux_generic: `loadrt mux_generic config=b4,f8s,…` makes one multiplexer per item, each
// choosing one of SIZE inputs of one type and writing it, converted, to an output of another type. The
// functions `mux-gen.NN` are real-time safe (arithmetic on pins and the instance's own state).
//
// An item is a size (2 to 1024) and one or two type letters in any order: b (bit), f (float), s (s32),
// u (u32); the first letter is the input type, the second (default: the same) the output type. The
// selection is the binary number on the `sel-bit-MM` pins plus `sel-int`, held until a new selection
// has been stable for `debounce-us`; a selection past the last input picks the last; with
// `suppress-no-input` a selection of 0 leaves the output as it was.
#include <cmath>
#include <limits>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

constexpr int kMaxMuxes = 100;
constexpr int kMaxSize = 1024;
constexpr double kBitThreshold = 2e-7;  // a float counts as TRUE beyond this magnitude

struct MuxSpec {
  int size = 0;
  Type in = Type::kBit, out = Type::kBit;
};

struct MuxGeneric : Instance {
  Type in_type = Type::kBit, out_type = Type::kBit;
  int size = 0;
  int num_bits = 0;
  std::unique_ptr<Pin<uint64_t>[]> inputs;
  std::unique_ptr<Pin<bool>[]> sel_bit;
  Pin<uint64_t> output;
  Pin<uint32_t> sel_int, debounce_us;
  Pin<bool> suppress;
  Param<uint32_t> elapsed, selected;  // µs the new selection has waited; the selection in force
};

// Converts between the four types as LinuxCNC's mux_generic does: integers clamp into the target's
// range, a float truncates towards zero (NaN gives 0), a float is TRUE beyond ±2e-7.
uint64_t convert(Type from, Type to, uint64_t raw) noexcept {
  if (from == to) return raw;
  switch (from) {
    case Type::kBit:
      return to == Type::kFloat ? Value::encode(Value::decode<bool>(raw) ? 1.0 : 0.0) : (raw != 0 ? 1U : 0U);
    case Type::kFloat: {
      const double v = Value::decode<double>(raw);
      if (to == Type::kBit) return std::fabs(v) > kBitThreshold ? 1U : 0U;
      if (std::isnan(v)) return 0;
      if (to == Type::kS32) {
        constexpr double lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
        return Value::encode(static_cast<int32_t>(v > hi ? hi : (v < lo ? lo : v)));
      }
      constexpr double hi = std::numeric_limits<uint32_t>::max();
      return Value::encode(static_cast<uint32_t>(v > hi ? hi : (v < 0 ? 0 : v)));
    }
    case Type::kS32: {
      const int32_t v = Value::decode<int32_t>(raw);
      if (to == Type::kBit) return v != 0 ? 1U : 0U;
      if (to == Type::kFloat) return Value::encode(static_cast<double>(v));
      return Value::encode(static_cast<uint32_t>(v >= 0 ? v : 0));
    }
    default: {  // u32
      const uint32_t v = Value::decode<uint32_t>(raw);
      if (to == Type::kBit) return v != 0 ? 1U : 0U;
      if (to == Type::kFloat) return Value::encode(static_cast<double>(v));
      constexpr uint32_t hi = std::numeric_limits<int32_t>::max();
      return Value::encode(static_cast<int32_t>(v > hi ? hi : v));
    }
  }
}

void mux_generic_fn(void* arg, int64_t period_ns) noexcept {
  auto& m = *static_cast<MuxGeneric*>(arg);
  uint32_t s = 0;
  for (int i = 0; i < m.num_bits; ++i) s += static_cast<uint32_t>(m.sel_bit[i].get()) << i;
  s += m.sel_int.get();  // bits and sel-int add up, as LinuxCNC documents
  if (m.suppress.get() && s == 0) return;
  if (s != m.selected.get() && m.elapsed.get() < m.debounce_us.get()) {
    m.elapsed.set(m.elapsed.get() + static_cast<uint32_t>(period_ns / 1000));
    return;
  }
  m.selected.set(s);
  m.elapsed.set(0);
  const uint32_t last = static_cast<uint32_t>(m.size - 1);
  m.output.set(convert(m.in_type, m.out_type, m.inputs[s > last ? last : s].get()));
}

const char* mux_type_name(Type t) noexcept { return type_name(t); }  // bit, float, s32, u32

// Parses one config item ("4", "b8f", "f5f"); errors name the item.
Result<MuxSpec> parse_mux_spec(const std::string& item) {
  MuxSpec spec;
  int types = 0;
  for (const char c : item) {
    if (c >= '0' && c <= '9') {
      spec.size = std::min(spec.size * 10 + (c - '0'), kMaxSize + 1);
      continue;
    }
    Type t{};
    switch (c) {
      case 'b': case 'B': t = Type::kBit; break;
      case 'f': case 'F': t = Type::kFloat; break;
      case 's': case 'S': t = Type::kS32; break;
      case 'u': case 'U': t = Type::kU32; break;
      default: return Error{"config item '" + item + "': '" + std::string(1, c) + "' is not a size digit or a type (b, f, s, u)"};
    }
    if (types == 2) return Error{"config item '" + item + "': more than two types (input, output)"};
    (types++ == 0 ? spec.in : spec.out) = t;
  }
  if (types == 0) return Error{"config item '" + item + "': no type (b, f, s, u)"};
  if (types == 1) spec.out = spec.in;
  if (spec.size < 2 || spec.size > kMaxSize) {
    return Error{"config item '" + item + "': the number of inputs must be 2 to " + std::to_string(kMaxSize)};
  }
  return spec;
}

// LinuxCNC's count of select bits: p bits when the size is 2^p, and also (a quirk kept so that the same
// pins exist) when it is 2^p + 1; no bits otherwise.
int select_bits(int size) noexcept {
  int bits = 1;
  int s = size >> 1;
  while ((s & 1) == 0 && s != 0) {
    s >>= 1;
    ++bits;
  }
  return s == 1 ? bits : 0;
}

std::string two_digits(int i) { return (i < 10 ? "0" : "") + std::to_string(i); }

}  // namespace

Status load_mux_generic(Hal& hal, LoadArgs& args) {
  auto config = args.take("config");
  if (auto st = args.check_all_used("mux_generic"); !st) return Error{"loadrt mux_generic: " + st.error().message};
  if (!config) return Error{"loadrt mux_generic: needs config=ITEM[,ITEM…] (ITEM: inputs and types, e.g. b4 or f8s)"};
  auto items = split_list("config", *config);
  if (!items) return Error{"loadrt mux_generic: " + items.error().message};
  if (static_cast<int>(items->size()) > kMaxMuxes) return Error{"loadrt mux_generic: at most 100 config items"};
  std::vector<MuxSpec> specs;
  for (const std::string& item : *items) {
    auto spec = parse_mux_spec(item);
    if (!spec) return Error{"loadrt mux_generic: " + spec.error().message};
    specs.push_back(*spec);
  }
  return load_component(hal, "mux_generic", [&](Builder& b) -> Status {
    for (std::size_t i = 0; i < specs.size(); ++i) {
      auto& m = b.make<MuxGeneric>();
      m.in_type = specs[i].in;
      m.out_type = specs[i].out;
      m.size = specs[i].size;
      m.num_bits = select_bits(m.size);
      m.inputs = std::make_unique<Pin<uint64_t>[]>(static_cast<std::size_t>(m.size));
      m.sel_bit = std::make_unique<Pin<bool>[]>(static_cast<std::size_t>(m.num_bits));
      const std::string n = "mux-gen." + two_digits(static_cast<int>(i));
      b.function(n, &mux_generic_fn, &m);
      for (int p = 0; p < m.num_bits; ++p) b.pin(n + ".sel-bit-" + two_digits(p), Dir::kIn, m.sel_bit[p]);
      b.pin(n + ".sel-int", Dir::kIn, m.sel_int);
      for (int p = 0; p < m.size; ++p) {
        b.raw_pin(n + ".in-" + mux_type_name(m.in_type) + "-" + two_digits(p), m.in_type, Dir::kIn, m.inputs[p]);
      }
      b.pin(n + ".suppress-no-input", Dir::kIn, m.suppress);
      b.pin(n + ".debounce-us", Dir::kIn, m.debounce_us);
      b.param(n + ".elapsed", ParamDir::kRo, m.elapsed);
      b.param(n + ".selected", ParamDir::kRo, m.selected);
      b.raw_pin(n + ".out-" + mux_type_name(m.out_type), m.out_type, Dir::kOut, m.output);
    }
    return Ok{};
  });
}

}  // namespace rtstep::hal
