#pragma once
// Shared helpers of the macro tests: render a template text in one call, build dicts and lists.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "macro/template.hpp"
#include "macro/value.hpp"

namespace rtstep::macro::testing {

// The rendered text, "COMPILE: <error>" or "ERROR: <error>", so one EXPECT_EQ checks either outcome.
inline std::string render(std::string_view source, const Context& context = {}, Limits limits = {}) {
  auto t = Template::compile(source, "t", limits);
  if (!t) return "COMPILE: " + t.error().message;
  auto out = t->render(context);
  if (!out) return "ERROR: " + out.error().message;
  return *out;
}

inline Value dict(std::initializer_list<std::pair<const char*, Value>> entries) {
  Value d = Value::dict();
  for (const auto& [k, v] : entries) d.dict_data().set(k, v);
  return d;
}

inline Value str(const char* s) { return Value::string(s); }

}  // namespace rtstep::macro::testing
