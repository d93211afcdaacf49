// Python literals for variable_* and SET_GCODE_VARIABLE, as ast.literal_eval plus Klipper's JSON check.
// Expected values were checked against Python 3.11.

#include "macro/literal.hpp"

#include <gtest/gtest.h>

namespace rtstep::macro {
namespace {

std::string lit(std::string_view text) {
  auto v = parse_literal(text);
  return v ? v->repr() : "ERROR: " + v.error().message;
}

TEST(Literal, Numbers) {
  EXPECT_EQ(lit("1"), "1");
  EXPECT_EQ(lit("-5"), "-5");
  EXPECT_EQ(lit("+3.5"), "3.5");
  EXPECT_EQ(lit("0x1F"), "31");
  EXPECT_EQ(lit("0o17"), "15");
  EXPECT_EQ(lit("0b101"), "5");
  EXPECT_EQ(lit("1_000"), "1000");
  EXPECT_EQ(lit("1e3"), "1000.0");
  EXPECT_EQ(lit(".5"), "0.5");
  EXPECT_EQ(lit("5."), "5.0");
  EXPECT_EQ(lit("-0.0"), "-0.0");
  EXPECT_EQ(lit("1e400"), "inf");
  EXPECT_EQ(lit("0"), "0");
  EXPECT_EQ(lit("00"), "0");
}

TEST(Literal, Strings) {
  EXPECT_EQ(lit("'abc'"), "'abc'");
  EXPECT_EQ(lit("\"a'b\""), "\"a'b\"");
  EXPECT_EQ(lit("'a\\nb\\x41\\101'"), "'a\\nbAA'");
  EXPECT_EQ(lit("r'a\\n'"), "'a\\\\n'");
  EXPECT_EQ(lit("'a' \"b\""), "'ab'");
  EXPECT_EQ(lit("\"\"\"tri\nple\"\"\""), "'tri\\nple'");
  EXPECT_EQ(lit("u'x'"), "'x'");
}

TEST(Literal, Constants) {
  EXPECT_EQ(lit("True"), "True");
  EXPECT_EQ(lit("False"), "False");
  EXPECT_EQ(lit("None"), "None");
}

TEST(Literal, Containers) {
  EXPECT_EQ(lit("[1, 2, [3, 4], (5,), ()]"), "[1, 2, [3, 4], (5,), ()]");
  EXPECT_EQ(lit("(1)"), "1");
  EXPECT_EQ(lit("1, 2"), "(1, 2)");
  EXPECT_EQ(lit("[1,]"), "[1]");
  EXPECT_EQ(lit("{'a': 1, 'b': [1, 2], 3: 'x', None: 1}"), "{'a': 1, 'b': [1, 2], 3: 'x', None: 1}");
  EXPECT_EQ(lit("{'x': {'y': {'z': [1.5, -2]}}}"), "{'x': {'y': {'z': [1.5, -2]}}}");
  // Config continuation lines are joined with newlines: they are fine inside brackets.
  EXPECT_EQ(lit("[ (10, 10),\n(100, 10),\n(100, 100) ]"), "[(10, 10), (100, 10), (100, 100)]");
}

TEST(Literal, RefusedAsKlipperRefusesThem) {
  EXPECT_EQ(lit("true"), "ERROR: malformed value: the name 'true' is not a literal (quote text: 'abc'; use True, False or None) at column 1");
  EXPECT_EQ(lit("foo"), "ERROR: malformed value: the name 'foo' is not a literal (quote text: 'abc'; use True, False or None) at column 1");
  EXPECT_EQ(lit("bar"), "ERROR: malformed value: the name 'bar' is not a literal (quote text: 'abc'; use True, False or None) at column 1");
  EXPECT_EQ(lit("{1, 2}"), "ERROR: a set cannot be stored as JSON at column 3");
  EXPECT_EQ(lit("{(1,2): 3}"), "ERROR: a dict key must be a string, number, True, False or None (JSON keys) at column 2");
  EXPECT_EQ(lit("b'x'"), "ERROR: bytes cannot be stored as JSON at column 1");
  EXPECT_EQ(lit("f'x'"), "ERROR: an f-string is not a literal at column 1");
  EXPECT_EQ(lit("1j"), "ERROR: complex numbers cannot be stored as JSON at column 2");
  EXPECT_EQ(lit("1 + 2"), "ERROR: malformed value: arithmetic is not a literal at column 3");
  EXPECT_EQ(lit("007"), "ERROR: leading zeros in a decimal integer are not allowed in Python (use 0o for octal) at column 4");
  EXPECT_EQ(lit("99999999999999999999"), "ERROR: integer too large (the limit is 2^63 - 1) at column 21");
}

TEST(Literal, SyntaxErrors) {
  EXPECT_EQ(lit(""), "ERROR: empty value (write '' for an empty string, or None) at column 1");
  EXPECT_EQ(lit("'unterminated"), "ERROR: unterminated string at column 1");
  EXPECT_EQ(lit("[1, 2"), "ERROR: invalid syntax: expected ',' or ']' at column 6");
  EXPECT_EQ(lit("{'a' 1}"), "ERROR: invalid syntax: expected ':' at column 6");
  EXPECT_EQ(lit("1 2"), "ERROR: invalid syntax: unexpected '2' at column 3");
  EXPECT_EQ(lit("[1,\n2 3]"), "ERROR: invalid syntax: expected ',' or ']' at line 2 column 3");
}

}  // namespace
}  // namespace rtstep::macro
