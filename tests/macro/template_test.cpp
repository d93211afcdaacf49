// Template language: constructs, output formatting, whitespace control.

#include "macro/template.hpp"

#include <gtest/gtest.h>

namespace rtstep::macro {
namespace {

std::string render(std::string_view source, const Context& context = {}) {
  auto t = Template::compile(source, "t");
  if (!t) return "COMPILE: " + t.error().message;
  auto out = t->render(context);
  if (!out) return "ERROR: " + out.error().message;
  return *out;
}

TEST(Template, PlainTextPassesThrough) { EXPECT_EQ(render("G28\nG1 X10"), "G28\nG1 X10"); }

}  // namespace
}  // namespace rtstep::macro
