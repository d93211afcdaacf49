// Hostile or mistaken templates stop with an error instead of hanging the controller or exhausting its
// memory: evaluation steps, output size, bytes of strings built, nesting depth.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "macro/literal.hpp"
#include "macro_test_util.hpp"

namespace rtstep::macro {
namespace {

using testing::render;

// Renders and checks the error and that it came quickly (well under a second on any machine).
void expect_stopped(const std::string& source, const std::string& message_part, Limits limits = {}) {
  const auto start = std::chrono::steady_clock::now();
  const std::string out = render(source, Context{}, limits);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_NE(out.find(message_part), std::string::npos) << out;
  EXPECT_LT(elapsed, std::chrono::seconds(2)) << source.substr(0, 80);
}

TEST(Limits, HugeRangeIsRefusedAtOnce) {
  expect_stopped("{% for i in range(100000000) %}x{% endfor %}", "evaluation steps");
}

TEST(Limits, NestedLoopsRunOutOfSteps) {
  expect_stopped("{% for a in range(1000) %}{% for b in range(1000) %}{a}{% endfor %}{% endfor %}", "evaluation steps");
}

TEST(Limits, OutputSize) {
  expect_stopped("{% for i in range(200000) %}G1 X10 Y10{% endfor %}", "output longer than 1048576 bytes");
}

TEST(Limits, StringDoubling) {
  expect_stopped("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                 "bytes of strings and lists");
  expect_stopped("{ 'x' * 1000000000000 }", "bytes of strings and lists");
  expect_stopped("{ [0] * 1000000000000 }", "bytes of strings and lists");
}

TEST(Limits, ListGrowthInALoop) {
  expect_stopped("{% set l = [] %}{% for i in range(400000) %}{% set _ = l.append(i) %}{% endfor %}", "template stopped");
}

TEST(Limits, SmallerLimitsCanBeChosen) {
  Limits limits;
  limits.max_steps = 100;
  expect_stopped("{% for i in range(50) %}{i}{% endfor %}", "template stopped after 100 evaluation steps", limits);
  limits = Limits{};
  limits.max_output_bytes = 10;
  EXPECT_EQ(render("0123456789", {}, limits), "0123456789");
  EXPECT_EQ(render("0123456789A", {}, limits), "ERROR: t:1:1: output longer than 10 bytes");
}

TEST(Limits, DeepNestingIsACompileError) {
  const std::string parens = "{" + std::string(1000, '(') + "1" + std::string(1000, ')') + "}";
  EXPECT_NE(render(parens).find("nesting deeper than 64 levels"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 200; ++i) blocks += "{% if 1 %}";
  EXPECT_NE(render(blocks).find("nesting deeper than 64 levels"), std::string::npos);
  EXPECT_NE(render("{" + std::string(100000, '[') + std::string(100000, ']') + "}").find("nesting deeper"), std::string::npos);
  EXPECT_NE(render("{" + std::string(100000, '-') + "1}").find("nesting deeper"), std::string::npos);
}

TEST(Limits, DeepLiteralIsRefused) {
  auto v = parse_literal(std::string(100000, '['));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("nested deeper than 64 levels"), std::string::npos);
}

TEST(Limits, LongChainsAreBounded) {
  // A chain like 0 + 1 + 1 + ... is read by a loop but evaluated by recursion: its height is bounded.
  std::string sum = "{ 0";
  for (int i = 0; i < 100; ++i) sum += " + 1";
  EXPECT_EQ(render(sum + " }"), "100");
  for (int i = 0; i < 20000; ++i) sum += " + 1";
  EXPECT_EQ(render(sum + " }"), "COMPILE: t:1:513: expression nests deeper than 128 levels");
  std::string filters = "{ 'a'";
  for (int i = 0; i < 5000; ++i) filters += "|upper";
  EXPECT_NE(render(filters + " }").find("expression nests deeper than 128 levels"), std::string::npos);
}

TEST(Limits, DeeplyNestedValuesAreFreedWithoutRecursion) {
  // Lists linked one into the next, 50000 deep: printed with "..." past 200 levels, compared with an
  // error, and freed by a loop when the render ends.
  Limits limits;
  limits.max_steps = 10'000'000;
  const std::string build =
      "{% set all = [] %}{% for i in range(50000) %}{% set _ = all.append([]) %}{% endfor %}"
      "{% for i in range(49999) %}{% set _ = all[i].append(all[i + 1]) %}{% endfor %}";
  EXPECT_EQ(render(build + "{ (all[0]|string)[:5] }", {}, limits), "[[[[[");
  EXPECT_NE(render(build + "{ all[0] == all[1] }", {}, limits).find("maximum recursion depth exceeded in comparison"),
            std::string::npos);
}

}  // namespace
}  // namespace rtstep::macro
