// Fuzz target: Klipper's template language and Python literals
// (src/macro), from arbitrary bytes.
//
// The first byte chooses the surface: even = a template, odd = a literal; the rest is the text.
// Invariants:
// - Template::compile either succeeds or fails with "t:LINE:COLUMN: message", LINE and COLUMN inside the
//   text (a column may be one past the end of a line);
// - render with a small step budget ends (the fuzzer's timeout catches a hang), succeeds within the output
//   limit or fails with a message; it never crashes, whatever the template does with the context;
// - parse_literal either fails or gives a value whose repr() parses back to an equal value (finite
//   numbers only: repr(inf) is not a literal, as in Python).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "macro/macro.hpp"

namespace {

using rtstep::macro::Value;

[[noreturn]] void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

bool finite_only(const Value& v, int depth = 0) {
  if (depth > 100) return false;
  if (v.is_float()) return std::isfinite(v.as_double());
  if (v.is_list()) {
    for (const Value& item : v.list_data().items) {
      if (!finite_only(item, depth + 1)) return false;
    }
  }
  if (v.is_dict()) {
    for (const auto& [key, value] : v.dict_data().entries) {
      if (!finite_only(key, depth + 1) || !finite_only(value, depth + 1)) return false;
    }
  }
  return true;
}

void check_position(std::string_view text, const std::string& message) {
  // "t:LINE:COLUMN: ..."
  if (!message.starts_with("t:")) violated("error prefix", message);
  char* end = nullptr;
  const unsigned long line = std::strtoul(message.c_str() + 2, &end, 10);
  if (end == nullptr || *end != ':') violated("error line", message);
  const unsigned long column = std::strtoul(end + 1, &end, 10);
  if (end == nullptr || *end != ':') violated("error column", message);
  const auto lines = static_cast<unsigned long>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (line < 1 || line > lines || column < 1 || column > text.size() + 1) violated("error position", message);
}

void fuzz_template(std::string_view text) {
  rtstep::macro::Limits limits;
  limits.max_steps = 20'000;
  limits.max_output_bytes = 64 << 10;
  limits.max_string_bytes = 1 << 20;
  auto t = rtstep::macro::Template::compile(text, "t", limits);
  if (!t) return check_position(text, t.error().message);
  Value printer = Value::dict();
  Value toolhead = Value::dict();
  toolhead.dict_data().set("homed_axes", Value::string("xy"));
  toolhead.dict_data().set("position", Value::list({Value::real(1.5), Value::integer(2)}));
  printer.dict_data().set("toolhead", toolhead);
  rtstep::macro::Actions actions;
  actions.respond_info = [](const std::string&) {};
  actions.emergency_stop = [](const std::string&) {};
  actions.call_remote_method = [](const std::string&, const Value&) {};
  rtstep::macro::Context context = rtstep::macro::base_context(printer, actions);
  Value params = Value::dict();
  params.dict_data().set("BED", Value::string("60"));
  context.set("params", params);
  context.set("rawparams", Value::string("BED=60"));
  context.set("points", Value::list({Value::tuple({Value::integer(1), Value::integer(2)})}));
  auto out = t->render(context);
  if (out && out->size() > limits.max_output_bytes) violated("output limit", std::to_string(out->size()));
}

void fuzz_literal(std::string_view text) {
  auto v = rtstep::macro::parse_literal(text);
  if (!v || !finite_only(*v)) return;
  const std::string repr = v->repr();
  auto again = rtstep::macro::parse_literal(repr);
  if (!again) violated("repr reads back", repr + " -> " + again.error().message);
  if (!rtstep::macro::equal(*v, *again) || again->repr() != repr) violated("repr round trip", repr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if ((data[0] & 1) == 0) {
      fuzz_template(text);
    } else {
      fuzz_literal(text);
    }
  } catch (const rtstep::macro::EvalError& e) {
    violated("EvalError escaped", e.message);
  }
  return 0;
}
