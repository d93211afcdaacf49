// Methods of strings, lists and dicts, the globals range/namespace/dict, and str.format.

#include <gtest/gtest.h>

#include "macro_test_util.hpp"

namespace rtstep::macro {
namespace {

using testing::render;

TEST(StringMethods, CaseStripSplit) {
  EXPECT_EQ(render("{ 'Ab'.lower() } { 'Ab'.upper() } [{ ' x '.strip() }] [{ 'xyx'.strip('x') }] [{ '  x'.lstrip() }] [{ 'x  '.rstrip() }]"),
            "ab AB [x] [y] [x] [x]");
  EXPECT_EQ(render("{ 'a,b,,c'.split(',') } { ' a  b '.split() } { 'a b c'.split(' ', 1) } { 'a.b.c'.rsplit('.', 1) }"),
            "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a.b', 'c']");
  EXPECT_EQ(render("{ 'a\\nb\\r\\nc\\n'.splitlines() }"), "['a', 'b', 'c']");
}

TEST(StringMethods, SearchAndTest) {
  EXPECT_EQ(render("{ 'Hello'.startswith('He') } { 'Hello'.endswith(('lo', 'x')) } { 'abc'.find('c') } { 'abc'.find('z') } "
                   "{ 'abc'.index('b') } { 'abcab'.count('ab') }"),
            "True True 2 -1 1 2");
  EXPECT_EQ(render("{ '1'.isdigit() } { 'a1'.isalnum() } { ''.isdigit() } { 'ab'.isalpha() } { ' '.isspace() }"),
            "True True False True True");
}

TEST(StringMethods, ReplaceJoinPad) {
  EXPECT_EQ(render("{ 'aaa'.replace('a', 'b') } { 'aaa'.replace('a', 'b', 1) } { ', '.join(['a', 'b']) } { 'x'.zfill(3) } "
                   "{ '-5'.zfill(4) } { 'ab'.ljust(4, '.') }|{ 'ab'.rjust(4) }|{ 'aBc'.capitalize() } { 'ab cd'.title() }"),
            "bbb baa a, b 00x -005 ab..|  ab|Abc Ab Cd");
  EXPECT_EQ(render("{ ','.join(['a', 1]) }"), "ERROR: t:1:6: sequence item: expected str instance, int found");
}

TEST(StringMethods, Format) {
  EXPECT_EQ(render("{ '{} and {}'.format(1, 'b') } { '{0}{1}{0}'.format('a', 'b') } { '{:.2f}'.format(3.14159) } "
                   "{ '{x}'.format(x=5) } { '{:>5}|{:<4}|{:^5}'.format('a', 'b', 'c') } { '{{}}'.format() }"),
            "1 and b aba 3.14 5     a|b   |  c   {}");
}

TEST(ListMethods, MutateInPlace) {
  EXPECT_EQ(render("{% set l = [] %}{% set _ = l.append(1) %}{% set _ = l.extend([2, 3]) %}{l} {l.pop()} {l} "
                   "{l.index(2)} {l|length}{% set _ = l.insert(0, 9) %} {l}{% set _ = l.remove(9) %} {l} {[1, 1].count(1)}"),
            "[1, 2, 3] 3 [1, 2] 1 2 [9, 1, 2] [1, 2] 2");
  EXPECT_EQ(render("{% set l = [3, 1, 2] %}{% set _ = l.sort() %}{l}{% set _ = l.reverse() %}{l}{% set c = l.copy() %}"
                   "{% set _ = l.clear() %}{l}{c}"),
            "[1, 2, 3][3, 2, 1][][3, 2, 1]");
}

TEST(ListMethods, AppendReturnsNoneAndTuplesAreImmutable) {
  EXPECT_EQ(render("{ [1].append(2) }"), "None");
  EXPECT_EQ(render("{ (1, 2).append(3) }"), "ERROR: t:1:9: 'tuple object' has no attribute 'append'");
  EXPECT_EQ(render("{ (1, 2).index(2) }"), "1");
}

TEST(ListMethods, AListCannotContainItself) {
  EXPECT_EQ(render("{% set l = [] %}{% set _ = l.append(l) %}"), "ERROR: t:1:29: a list cannot contain itself");
  EXPECT_EQ(render("{% set a = [] %}{% set b = [a] %}{% set _ = a.append(b) %}"), "ERROR: t:1:46: a list cannot contain itself");
}

TEST(DictMethods, ReadAndUpdate) {
  EXPECT_EQ(render("{% set d = {'a': 1} %}{% set _ = d.update({'b': 2}) %}{d} {d.keys()|list} {d.values()|list} {d.items()} "
                   "{d.get('c')} {d.get('c', 5)} {d.get('a')}"),
            "{'a': 1, 'b': 2} ['a', 'b'] [1, 2] [('a', 1), ('b', 2)] None 5 1");
  EXPECT_EQ(render("{% set d = {'a': 1} %}{ d.pop('a') } {d} { d.setdefault('x', 3) } {d} { d.pop('q', 0) }"),
            "1 {} 3 {'x': 3} 0");
  EXPECT_EQ(render("{% set d = {} %}{% set _ = d.update(k=1) %}{d}"), "{'k': 1}");
}

TEST(DictMethods, AMethodNameIsReadBeforeAnItemWithDotsButNotWithBrackets) {
  Context c;
  c.set("d", testing::dict({{"items", Value::integer(5)}}));
  EXPECT_EQ(render("{ d['items'] } { d.items()|length }", c), "5 1");
}

TEST(Globals, RangeNamespaceDict) {
  EXPECT_EQ(render("{ range(3)|list } { range(1, 10, 3)|list } { range(5, 0, -2)|list } { range(0)|list }"),
            "[0, 1, 2] [1, 4, 7] [5, 3, 1] []");
  EXPECT_EQ(render("{% set ns = namespace(a=1) %}{ns.a} { dict(x=1, y='z') }"), "1 {'x': 1, 'y': 'z'}");
  EXPECT_EQ(render("{ range(1, 2, 0) }"), "ERROR: t:1:8: range() arg 3 must not be zero");
}

}  // namespace
}  // namespace rtstep::macro
