// CPU list parsing and formatting (rt/cpu_list.hpp).
#include "rt/cpu_list.hpp"

#include <gtest/gtest.h>

namespace rtstep::rt {
namespace {

TEST(CpuList, ParsesRangesAndSingles) {
  EXPECT_EQ(parse_cpu_list("0-1,3").value(), (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(parse_cpu_list(" 3 , 1,1 ").value(), (std::vector<int>{1, 3}));
  EXPECT_EQ(parse_cpu_list("2-2").value(), (std::vector<int>{2}));
  EXPECT_TRUE(parse_cpu_list("").value().empty());
  EXPECT_TRUE(parse_cpu_list(" \n").value().empty());
}

TEST(CpuList, BadListsNameTheBadPart) {
  const auto error = [](const char* text) { return parse_cpu_list(text).error().message; };
  EXPECT_EQ(error("1-"), "bad CPU list \"1-\": \"1-\" is not a CPU or a range like 0-3");
  EXPECT_EQ(error("0,a"), "bad CPU list \"0,a\": \"a\" is not a CPU or a range like 0-3");
  EXPECT_EQ(error("3-1"), "bad CPU list \"3-1\": \"3-1\" is a range that runs backwards");
  EXPECT_EQ(error("1024"), "bad CPU list \"1024\": \"1024\" is beyond CPU 1023");
  EXPECT_EQ(error("-1"), "bad CPU list \"-1\": \"-1\" is not a CPU or a range like 0-3");
  EXPECT_EQ(error("1,,2"), "bad CPU list \"1,,2\": \"\" is not a CPU or a range like 0-3");
  EXPECT_EQ(error("0x1"), "bad CPU list \"0x1\": \"0x1\" is not a CPU or a range like 0-3");
}

TEST(CpuList, FormatsTheShortestForm) {
  EXPECT_EQ(format_cpu_list({0, 1, 2, 5}), "0-2,5");
  EXPECT_EQ(format_cpu_list({3}), "3");
  EXPECT_EQ(format_cpu_list({1, 3, 4}), "1,3-4");
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list(parse_cpu_list("7,0-3,5").value()), "0-3,5,7");
}

TEST(CpuList, Within) {
  EXPECT_TRUE(cpus_within({3}, {0, 1, 2, 3}));
  EXPECT_FALSE(cpus_within({2, 4}, {0, 1, 2, 3}));
  EXPECT_TRUE(cpus_within({}, {1}));
}

}  // namespace
}  // namespace rtstep::rt
