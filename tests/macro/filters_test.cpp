// Filters and tests (`x|name`, `x is name`), each with the arguments Jinja gives it. Expected texts were
// checked against Jinja2 3.1.

#include <gtest/gtest.h>

#include "macro_test_util.hpp"

namespace rtstep::macro {
namespace {

using testing::render;

TEST(Filters, Int) {
  EXPECT_EQ(render("{ '42.7'|int } {' 42 '|int} {'abc'|int} {'0x1A'|int} {None|int} {1.5|int} { -1.5|int } {'1_000'|int}"),
            "42 42 0 0 0 1 -1 1000");
  EXPECT_EQ(render("{ 'x'|int(7) } { true|int } { '-3'|int * 2 } { '+3'|int }"), "7 1 -6 3");
}

TEST(Filters, Float) {
  EXPECT_EQ(render("{ '1e3'|float } { ' 1e3 '|float } { 'inf'|float } { True|float } { 3|float } { '3.'|float } { '.5'|float }"),
            "1000.0 1000.0 inf 1.0 3.0 3.0 0.5");
  EXPECT_EQ(render("{ '1e'|float } { 'x'|float(5) } { none|float(2.5) } { '0.5'|float + 1 }"), "0.0 5 2.5 1.5");
}

TEST(Filters, Round) {
  EXPECT_EQ(render("{ 1.5|round } {2.5|round} {2.675|round(2)} {3|round} {2.1|round(0, 'ceil')} { 0.5|round }"),
            "2.0 2.0 2.67 3 3.0 0.0");
  EXPECT_EQ(render("{ 5|round(-1) } { 1234.5|round(-2) } { 1.25|round(1) } { 3.14159|round(2, 'floor') } "
                   "{ 3.14159|round(3, 'ceil') } { 3.14159|round(precision=1) }"),
            "0 1200.0 1.2 3.14 3.142 3.1");
}

TEST(Filters, Abs) { EXPECT_EQ(render("{ (-3)|abs } { -3.5|abs } { -3|abs }"), "3 3.5 3"); }

TEST(Filters, Default) {
  EXPECT_EQ(render("{ x|default('d') } {''|default('d')}|{ ''|default('d', true) } { none|d('z') } { 0|d(5, true) }"),
            "d |d None 5");
}

TEST(Filters, StringCase) {
  EXPECT_EQ(render("{ 5|string ~ 'x' } { 'AbC'|lower } { 'abc'|upper } { 'hello world'|capitalize } { 'hello world'|title }"),
            "5x abc ABC Hello world Hello World");
  EXPECT_EQ(render("{ true|lower } { false|string|lower } { none|string|lower } { 'aBc'|capitalize }"), "true false none Abc");
}

TEST(Filters, TrimAndReplace) {
  EXPECT_EQ(render("[{' x '|trim}] [{'xxaxx'|trim('x')}] { 'a b'|replace(' ', '_') } { 'aaa'|replace('a', 'b', 2) }"),
            "[x] [a] a_b bba");
}

TEST(Filters, LengthAndCount) {
  EXPECT_EQ(render("{ 'abc'|length } { {'a': 1}|length } { [1, 2]|count } { 'h\xc3\xa9'|length } { missing|length }"),
            "3 1 2 2 0");
  EXPECT_EQ(render("{ 5|length }"), "ERROR: t:1:5: object of type 'int' has no len()");
}

TEST(Filters, JoinMinMaxSum) {
  EXPECT_EQ(render("{ [1, 2, 3]|join(',') } { [1, 2, 3]|join } { [1, 5, 3]|max } { 'abc'|max } { ['B', 'a']|min }"),
            "1,2,3 123 5 c a");
  EXPECT_EQ(render("{ [3, 1]|sum } { [1, 2, 3]|sum(start=10) } { [{'a': 1}, {'a': 2}]|sum(attribute='a') } [{ []|min }]"),
            "4 16 3 []");
  EXPECT_EQ(render("{ [{'n': 'x'}, {'n': 'y'}]|join(', ', attribute='n') }"), "x, y");
}

TEST(Filters, ListFirstLast) {
  EXPECT_EQ(render("{ 'abc'|list } { {'a': 1}|list } { ['a']|first } { [1, 2]|last } { 'abc'|first } [{ []|first }]"),
            "['a', 'b', 'c'] ['a'] a 2 a []");
}

TEST(Filters, SortUniqueReverse) {
  EXPECT_EQ(render("{ ['b', 'A', 'a']|unique|list } { ['b', 'A', 'c']|sort } { [3, 1, 2]|sort(reverse=true) } "
                   "{ [1, 2]|reverse|list } { 'abc'|reverse }"),
            "['b', 'A'] ['A', 'b', 'c'] [3, 2, 1] [2, 1] cba");
}

TEST(Filters, MapFormatTojsonCenterItems) {
  EXPECT_EQ(render("{ '1,2'.split(',')|map('float')|list } { [{'x': 1}]|map(attribute='x')|list }"), "[1.0, 2.0] [1]");
  EXPECT_EQ(render("{ '%s-%.1f'|format('a', 2) } { [1, 'a', none, true]|tojson } { '<a>'|tojson }"),
            "a-2.0 [1, \"a\", null, true] \"\\u003ca\\u003e\"");
  EXPECT_EQ(render("[{ 'a'|center(5) }] { {'a': 1}|items|list }"), "[  a  ] [('a', 1)]");
}

TEST(Filters, UnknownFilterIsACompileError) {
  EXPECT_EQ(render("G1 X{ 1|nosuch }"), "COMPILE: t:1:9: no filter named 'nosuch'");
}

TEST(Tests, DefinedNoneNumberString) {
  EXPECT_EQ(render("{ x is defined } { x is not defined } { x is undefined } { none is none } { 3 is not none }"),
            "False True True True True");
  EXPECT_EQ(render("{ 3 is number } { 1.5 is number } { true is number } { '3' is number } { '3' is string } { 3 is string }"),
            "True True True False True False");
}

TEST(Tests, TypesAndValues) {
  EXPECT_EQ(render("{1 is integer} {1.0 is float} {true is boolean} {1 is boolean} {true is true} {0 is false}"),
            "True True True False True False");
  EXPECT_EQ(render("{[1] is sequence} {{} is mapping} {'x' is iterable} {5 is iterable} {range is callable}"),
            "True True True False True");
  EXPECT_EQ(render("{'abc' is lower} {'ABC' is upper} {'aB' is lower}"), "True True False");
}

TEST(Tests, Arithmetic) {
  EXPECT_EQ(render("{ 5 is even } { 4 is even } { 3 is odd } { 9 is divisibleby 3 } { 9 is divisibleby(2) }"),
            "False True True True False");
}

TEST(Tests, Comparisons) {
  EXPECT_EQ(render("{ 1 is eq 1 } { 1 is ne 2 } { 1 is lt 2 } { 2 is le 2 } { 3 is gt 2 } { 2 is ge 3 } "
                   "{ 'a' is in 'abc' } { none is sameas none } { 1 is equalto(1.0) }"),
            "True True True True True False True True True");
}

TEST(Tests, UnknownTestIsACompileError) { EXPECT_EQ(render("{ 1 is nosuch }"), "COMPILE: t:1:8: no test named 'nosuch'"); }

}  // namespace
}  // namespace rtstep::macro
