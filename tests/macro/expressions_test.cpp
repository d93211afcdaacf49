// Expressions: Python arithmetic, comparisons, logic, literals, concatenation, % formatting,
// conditional expressions, attribute/subscript/slice access and precedence. Expected texts were
// checked against Jinja2 3.1 with Klipper's delimiters.

#include <gtest/gtest.h>

#include "macro_test_util.hpp"

namespace rtstep::macro {
namespace {

using testing::render;

TEST(Expressions, IntegerArithmeticAsPython) {
  EXPECT_EQ(render("{ 7 // 2 } { -7 // 2 } { -7 % 3 } { 10 % -3 } {7/2} {2**-1} {True + 1} {2**10}"),
            "3 -4 2 -2 3.5 0.5 2 1024");
}

TEST(Expressions, FloatArithmeticAsPython) {
  EXPECT_EQ(render("{ 5.5 % 2 } { -5.5 % 2 } { 7.0 // 2 } { -7.0 // 2 } { 2**0.5 } { 1/3 } { 4 ** -1 }"),
            "1.5 0.5 3.0 -4.0 1.4142135623730951 0.3333333333333333 0.25");
}

TEST(Expressions, UnaryMinusBindsTighterThanPowerAsInJinja) {
  EXPECT_EQ(render("{ -2**2 } { 5 - -3 } { - - 3 } { +3 }"), "4 8 3 3");
}

TEST(Expressions, NumberLiterals) {
  EXPECT_EQ(render("{ 1_000 } { 0x10 } { 0b11 } { 0o17 } { 1e3 } { 1.5e-3 } { 1e999 }"), "1000 16 3 15 1000.0 0.0015 inf");
}

TEST(Expressions, StringLiteralsAndEscapes) {
  EXPECT_EQ(render("{ \"ab\" 'cd' } { 'a\\tb' } { 'a\\x41\\u00e9' } { 'it\\'s' } { '\\d' }"), "abcd a\tb aA\xc3\xa9 it's \\d");
}

TEST(Expressions, ListsTuplesDicts) {
  EXPECT_EQ(render("{ [1, [2, 3]][1][0] } { (1, 2)[1] } { {'a': {'b': 5}}.a.b } { {'a': 1, 'b': 2} } { () } { [] } { {} }"),
            "2 2 5 {'a': 1, 'b': 2} () [] {}");
  EXPECT_EQ(render("{ (1, 2) + (3,) } { [1] + [2] } { 'a' + 'b' } { 'ab' * 2 } { [0] * 3 }"),
            "(1, 2, 3) [1, 2] ab abab [0, 0, 0]");
}

TEST(Expressions, Comparisons) {
  EXPECT_EQ(render("{ 1 == 1.0 } { True == 1 } { '1' == 1 } { 1 != 2 } { 'ab' < 'b' } { [1, 2] < [1, 3] } { (1, 2) == [1, 2] }"),
            "True True False True True True False");
  EXPECT_EQ(render("{ 1 < 2 < 3 } { 3 > 2 > 2 } { 2 >= 2 } { 1 <= 0 }"), "True False True False");
}

TEST(Expressions, Membership) {
  EXPECT_EQ(render("{ 1 in [1, 2] } { 3 not in [1, 2] } { 'a' in {'a': 1} } { 'xy' in 'xyz' } { 'z' not in 'xy' }"),
            "True True True True True");
}

TEST(Expressions, LogicReturnsOperandsAsPython) {
  EXPECT_EQ(render("{ not 1 } { not 0 and 1 } { 0 or 'x' } { '' or [] } { 1 and 2 } { none or 'd' }"),
            "False 1 x [] 2 d");
}

TEST(Expressions, TildeConcatenatesAsStrings) {
  EXPECT_EQ(render("{ 'x' ~ 1 ~ 2.0 ~ none ~ true }"), "x12.0NoneTrue");
}

TEST(Expressions, ConditionalExpression) {
  EXPECT_EQ(render("{ 'yes' if 1 else 'no' } { 'yes' if 0 else 'no' } { 'a' if 0 else 'b' if 1 else 'c' } [{ 1 if 0 }]"),
            "yes no b []");
}

TEST(Expressions, PercentFormatting) {
  EXPECT_EQ(render("{ '%.2f %d %s %5.1f|%-4s|%03d %x %e %g %%' % (1.234, 3.9, 'x', 2.25, 'ab', 7, 255, 12345.678, 0.0001) }"),
            "1.23 3 x   2.2|ab  |007 ff 1.234568e+04 0.0001 %");
  EXPECT_EQ(render("{ 'x=%s' % 'y' } { '%5s|%-5s|' % ('a', 'b') } { '%+d %+.1f' % (5, 2.25) } { '%.0f %.0f' % (0.5, 1.5) }"),
            "x=y     a|b    | +5 +2.2 0 2");
  EXPECT_EQ(render("{ '%(a)s-%(b)d' % {'a': 'x', 'b': 5} } { '%s' % [1, 2] } { '%r' % 'a' } { '%c%X%o' % (65, 255, 8) } { '%#x' % 255 }"),
            "x-5 [1, 2] 'a' AFF10 0xff");
  EXPECT_EQ(render("{ '%5.2f|%-8.3f|%08.3f' % (3.14159, 2.5, -1.5) } { '%s %s' % (none, true) } { '%i' % 3.7 }"),
            " 3.14|2.500   |-001.500 None True 3");
}

TEST(Expressions, PercentFormattingErrors) {
  EXPECT_EQ(render("{'%s %s' % (1,)}"), "ERROR: t:1:10: not enough arguments for format string");
  EXPECT_EQ(render("{'%s' % (1, 2)}"), "ERROR: t:1:7: not all arguments converted during string formatting");
  EXPECT_EQ(render("{'%d' % 'a'}"), "ERROR: t:1:7: %d format: a real number is required, not str");
}

TEST(Expressions, SubscriptsAndSlices) {
  EXPECT_EQ(render("{ 'abc'[1:] } { 'abc'[::-1] } { [1, 2, 3][-1] } { [1, 2, 3, 4][1:3] } { [1, 2, 3, 4][::2] } { 'abcdef'[-2:] }"),
            "bc cba 3 [2, 3] [1, 3] ef");
  EXPECT_EQ(render("{ [1, 2, 3].0 } { 'abc'[0] } { (1, 2, 3)[:2] }"), "1 a (1, 2)");
}

TEST(Expressions, AttributeReadsItemsOfDicts) {
  EXPECT_EQ(render("{ {'a': {'b': [1, {'c': 'd'}]}}['a'].b[1].c }"), "d");
  EXPECT_EQ(render("[{ 'x'.foo }|{ (1).foo }|{ none.x }]"), "[||]");
}

TEST(Expressions, TypeErrorsNameTheTypes) {
  EXPECT_EQ(render("{ 1 + 'a' }"), "ERROR: t:1:5: unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(render("{ 1 < 'a' }"), "ERROR: t:1:5: '<' not supported between instances of 'int' and 'str'");
  EXPECT_EQ(render("{ -'a' }"), "ERROR: t:1:3: bad operand type for unary -: 'str'");
  EXPECT_EQ(render("{ 1 in 'abc' }"), "ERROR: t:1:5: 'in <string>' requires string as left operand, not int");
  EXPECT_EQ(render("{ 5() }"), "ERROR: t:1:4: 'int' object is not callable");
}

TEST(Expressions, DivisionByZeroAndOverflow) {
  EXPECT_EQ(render("{ 1 / 0 }"), "ERROR: t:1:5: division by zero");
  EXPECT_EQ(render("{ 3 // 0 }"), "ERROR: t:1:5: integer division by zero");
  EXPECT_EQ(render("{ 1.0 % 0 }"), "ERROR: t:1:7: float modulo");
  EXPECT_EQ(render("{ 2 ** 64 }"), "ERROR: t:1:5: integer overflow (the limit is 2^63 - 1)");
  EXPECT_EQ(render("{ 9223372036854775807 + 1 }"), "ERROR: t:1:23: integer overflow (the limit is 2^63 - 1)");
}

}  // namespace
}  // namespace rtstep::macro
