// Template language: statements, scopes, loops, whitespace control and comments, output of values.

#include "macro/template.hpp"

#include <gtest/gtest.h>

#include "macro_test_util.hpp"

namespace rtstep::macro {
namespace {

using testing::dict;
using testing::render;
using testing::str;

TEST(Template, PlainTextPassesThrough) { EXPECT_EQ(render("G28\nG1 X10"), "G28\nG1 X10"); }

TEST(Template, OneTrailingNewlineIsDropped) { EXPECT_EQ(render("G28\n\n"), "G28\n"); }

TEST(Template, ExpressionsUseKlipperSingleBraces) {
  EXPECT_EQ(render("M104 S{200 + 10}"), "M104 S210");
  EXPECT_EQ(render("{ {'a': 1}['a'] }"), "1");  // a dict literal inside: braces balance
}

TEST(Template, IfElifElse) {
  const char* t = "{% if x > 2 %}big{% elif x > 0 %}small{% else %}none{% endif %}";
  Context c;
  c.set("x", Value::integer(3));
  EXPECT_EQ(render(t, c), "big");
  c.set("x", Value::integer(1));
  EXPECT_EQ(render(t, c), "small");
  c.set("x", Value::integer(0));
  EXPECT_EQ(render(t, c), "none");
}

TEST(Template, ForLoopVariables) {
  EXPECT_EQ(render("{% for a in [5, 6, 7] %}{loop.index}{loop.index0}{loop.first}{loop.last}{loop.length}"
                   "{loop.revindex}{loop.revindex0};{% endfor %}"),
            "10TrueFalse332;21FalseFalse321;32FalseTrue310;");
}

TEST(Template, ForLoopUnpacksPairs) {
  EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{k}={v} {% endfor %}"), "a=1 b=2 ");
  EXPECT_EQ(render("{% for (x, y) in [(1, 2), (3, 4)] %}{x * y},{% endfor %}"), "2,12,");
}

TEST(Template, ForLoopFilterElseAndNesting) {
  EXPECT_EQ(render("{% for i in range(4) if i != 1 %}{i}/{loop.length} {% endfor %}"), "0/3 2/3 3/3 ");
  EXPECT_EQ(render("{% for i in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for a in [[1, 2], [3]] %}{% for b in a %}{loop.index}:{b} {% endfor %}|{loop.index} {% endfor %}"),
            "1:1 2:2 |1 1:3 |2 ");
  EXPECT_EQ(render("{% for c in 'ab' %}{c}{loop.cycle('x', 'y')}{% endfor %}"), "axby");
}

TEST(Template, ForLoopOverDictGivesKeysAndOverUndefinedNothing) {
  EXPECT_EQ(render("{% for k in {'a': 1, 'b': 2} %}{k}{% endfor %}"), "ab");
  EXPECT_EQ(render("{% for x in missing %}x{% endfor %}ok"), "ok");
}

TEST(Template, SetScopesAsJinja) {
  // A set inside a loop body lasts one iteration and does not leak out; inside an if it stays.
  EXPECT_EQ(render("{% set x = 0 %}{% for i in [1, 2, 3] %}{% set x = x + i %}{x},{% endfor %}|{x}"), "1,2,3,|0");
  EXPECT_EQ(render("{% set x = 5 %}{% if true %}{% set x = 10 %}{% endif %}{x}"), "10");
  EXPECT_EQ(render("{% set a, b = 1, 2 %}{a}{b}{% set c = (3, 4) %}{c}"), "12(3, 4)");
}

TEST(Template, NamespaceCarriesValuesOutOfLoops) {
  EXPECT_EQ(render("{% set ns = namespace(total=0) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}"
                   "{% endfor %}{ns.total}"),
            "6");
}

TEST(Template, SetBlockCapturesOutput) {
  EXPECT_EQ(render("{% set x %}G1 X{1 + 1}{% endset %}[{x}]"), "[G1 X2]");
}

TEST(Template, CommentsAreRemoved) { EXPECT_EQ(render("a{# note {x} #}b"), "ab"); }

TEST(Template, WhitespaceControl) {
  EXPECT_EQ(render("A\n  {%- if true -%}  \n  B  {%- endif -%}\n  C"), "ABC");
  EXPECT_EQ(render("x {-1}"), "x1");  // '{-' strips, as Jinja's '{{-'
  EXPECT_EQ(render("a {#- c -#}   b"), "ab");
  EXPECT_EQ(render("{% if true %}\nG28\n{% endif %}\n"), "\nG28\n");
}

TEST(Template, OutputOfValuesIsPythonStr) {
  EXPECT_EQ(render("{1.0} {0.1 + 0.2} {1e16} {1e-05} {100.0} { -0.0} {1e15} {0.0001}"),
            "1.0 0.30000000000000004 1e+16 1e-05 100.0 -0.0 1000000000000000.0 0.0001");
  EXPECT_EQ(render("{true} {True} {false} {none} {None}"), "True True False None None");
  EXPECT_EQ(render("{[1, 'a', None, True, 1.5]} {(1,)} {{'a': [1]}} {\"it's\"}"),
            "[1, 'a', None, True, 1.5] (1,) {'a': [1]} it's");
  EXPECT_EQ(render("{['it\\'s', 'a\"b']}"), "[\"it's\", 'a\"b']");
}

TEST(Template, UndefinedIsLenientAsInKlipper) {
  Context c;
  c.set("params", dict({{"BED", str("70")}}));
  EXPECT_EQ(render("[{missing}] [{params.X}] [{params.X|default(60)}]", c), "[] [] [60]");
  EXPECT_EQ(render("{missing is defined} {missing is not defined} {params.BED is defined}", c), "False True True");
  EXPECT_EQ(render("{% if missing %}y{% else %}n{% endif %} {not missing} {'a' in missing}", c), "n True False");
  EXPECT_EQ(render("{'x' ~ missing ~ 'y'} {'%s' % missing}|{missing|length}", c), "xy |0");
}

TEST(Template, UndefinedFailsWhenUsed) {
  Context c;
  c.set("params", Value::dict());
  EXPECT_EQ(render("{missing + 1}", c), "ERROR: t:1:10: 'missing' is undefined");
  // The column is that of the filter or attribute that needed the value.
  EXPECT_EQ(render("{params.BED|float}", c), "ERROR: t:1:13: 'dict object' has no attribute 'BED'");
  EXPECT_EQ(render("{params.BED.x}", c), "ERROR: t:1:12: 'dict object' has no attribute 'BED'");
  EXPECT_EQ(render("{[1, 2][5] + 1}", c), "ERROR: t:1:12: 'list object' has no element 5");
  EXPECT_EQ(render("{missing < 3}", c), "ERROR: t:1:10: 'missing' is undefined");
}

TEST(Template, ContextValuesAndLookupOrder) {
  Context c;
  c.set("printer", dict({{"toolhead", dict({{"homed_axes", str("xy")}})}, {"gcode_macro X", dict({{"v", Value::integer(3)}})}}));
  EXPECT_EQ(render("{printer.toolhead.homed_axes} {printer['gcode_macro X'].v} {'z' in printer.toolhead.homed_axes}", c),
            "xy 3 False");
  // A local set shadows a context name.
  EXPECT_EQ(render("{% set printer = 5 %}{printer}", c), "5");
}

TEST(Template, CompiledOnceRenderedMany) {
  auto t = Template::compile("{x * 2}", "t");
  ASSERT_TRUE(t.ok());
  for (int i = 0; i < 3; ++i) {
    Context c;
    c.set("x", Value::integer(i));
    auto out = t->render(c);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, std::to_string(i * 2));
  }
}

TEST(Template, EmptyTemplateRendersNothing) {
  const Template empty;
  auto out = empty.render(Context{});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "");
}

}  // namespace
}  // namespace rtstep::macro
