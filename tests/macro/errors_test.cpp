// Compile errors: each names the line and column of the offending text ("NAME:LINE:COLUMN: message").

#include <gtest/gtest.h>

#include "macro_test_util.hpp"

namespace rtstep::macro {
namespace {

using testing::render;

TEST(CompileErrors, NameLineAndColumn) {
  auto t = Template::compile("G28\nG1 X{1 + }", "gcode_macro PRINT_START");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "gcode_macro PRINT_START:2:10: unexpected '}', expected an expression");
}

TEST(CompileErrors, UnclosedBlocks) {
  EXPECT_EQ(render("{% if x %}\nG28"), "COMPILE: t:2:4: unexpected end of template: '{% if %}' at 1:1 is not closed (expected '{% endif %}')");
  EXPECT_EQ(render("{% for x in y %}{% endif %}"),
            "COMPILE: t:1:20: unexpected '{% endif %}': '{% for %}' at 1:1 is not closed (expected '{% endfor %}')");
  EXPECT_EQ(render("{% set x %}"), "COMPILE: t:1:12: unexpected end of template: '{% set %}' at 1:1 is not closed (expected '{% endset %}')");
  EXPECT_EQ(render("{% endif %}"), "COMPILE: t:1:4: unexpected '{% endif %}' without a matching opening statement");
  EXPECT_EQ(render("{% else %}"), "COMPILE: t:1:4: unexpected '{% else %}' without a matching opening statement");
}

TEST(CompileErrors, UnclosedTagsCommentsAndStrings) {
  EXPECT_EQ(render("G1 { x"), "COMPILE: t:1:4: unclosed '{': expected '}' before the end of the template");
  EXPECT_EQ(render("{% if x"), "COMPILE: t:1:1: unclosed '{%': expected '%}' before the end of the template");
  EXPECT_EQ(render("a\n{# x"), "COMPILE: t:2:1: unclosed comment: '{#' without '#}'");
  EXPECT_EQ(render("{ 'abc }"), "COMPILE: t:1:3: unterminated string");
}

TEST(CompileErrors, Brackets) {
  EXPECT_EQ(render("{ (1 + 2 }"), "COMPILE: t:1:10: unexpected '}': '(' at 1:3 is not closed");
  EXPECT_EQ(render("{ [1, 2) }"), "COMPILE: t:1:8: unexpected ')': '[' at 1:3 is not closed");
  EXPECT_EQ(render("{ 1 ) }"), "COMPILE: t:1:5: unexpected ')'");
}

TEST(CompileErrors, Statements) {
  EXPECT_EQ(render("{% foo %}"), "COMPILE: t:1:4: unknown statement 'foo'");
  EXPECT_EQ(render("{% for x in %}{% endfor %}"), "COMPILE: t:1:13: unexpected '%}', expected an expression");
  EXPECT_EQ(render("{% set = 1 %}"), "COMPILE: t:1:8: unexpected '=', expected a name");
  EXPECT_EQ(render("{% set loop = 1 %}"), "COMPILE: t:1:13: cannot assign to 'loop'");
  EXPECT_EQ(render("{% if 1 %}{% elif %}{% endif %}"), "COMPILE: t:1:19: unexpected '%}', expected an expression");
  EXPECT_EQ(render("{% for x in y recursive %}{% endfor %}"), "COMPILE: t:1:15: recursive loops are not supported");
}

TEST(CompileErrors, Expressions) {
  EXPECT_EQ(render("{}"), "COMPILE: t:1:2: unexpected '}', expected an expression");
  EXPECT_EQ(render("{ x| }"), "COMPILE: t:1:6: unexpected '}', expected a name");
  EXPECT_EQ(render("{ x[] }"), "COMPILE: t:1:7: empty subscript '[]'");
  EXPECT_EQ(render("{ @ }"), "COMPILE: t:1:3: unexpected character '@'");
  EXPECT_EQ(render("{ 12345678901234567890 }"), "COMPILE: t:1:3: integer 12345678901234567890 is too large (the limit is 2^63 - 1)");
  EXPECT_EQ(render("{ f(a=1, 2) }"), "COMPILE: t:1:10: positional argument after a keyword argument");
  EXPECT_EQ(render("{ 1 2 }"), "COMPILE: t:1:5: unexpected integer 2, expected '}'");
  EXPECT_EQ(render("line1\n  line2 { x +* 2 }"), "COMPILE: t:2:14: unexpected '*', expected an expression");
  EXPECT_EQ(render("{ 'a\\xZZ' }"), "COMPILE: t:1:5: bad escape \\x in string: expected 2 hex digits");
}

TEST(RenderErrors, NameLineAndColumn) {
  auto t = Template::compile("G28\n{% set t = params.T|int %}\nM104 S{t + 'x'}", "gcode_macro HEAT");
  ASSERT_TRUE(t.ok());
  Context c;
  c.set("params", testing::dict({{"T", testing::str("200")}}));
  auto out = t->render(c);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "gcode_macro HEAT:3:10: unsupported operand type(s) for +: 'int' and 'str'");
}

TEST(RenderErrors, LoopUnpacking) {
  EXPECT_EQ(render("{% for a, b in [(1, 2, 3)] %}{% endfor %}"), "ERROR: t:1:4: too many values to unpack (expected 2, got 3)");
  EXPECT_EQ(render("{% for a, b in [1] %}{% endfor %}"), "ERROR: t:1:4: cannot unpack a non-sequence int");
  EXPECT_EQ(render("{% for a in 5 %}{% endfor %}"), "ERROR: t:1:4: 'int' object is not iterable");
}

}  // namespace
}  // namespace rtstep::macro
