// Regression tests for what fuzz/hal.cpp found (docs/FUZZING.md).

#include <gtest/gtest.h>

#include <string>

#include "hal/hal.hpp"
#include "hal/halcmd.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

// `loadrt and2 count=1000000` built a million instance names before comparing the count with the
// component's limit (the fuzzer's input timed out); count=2000000000 would have tried to build two billion.
// The limit is checked first, and nothing is loaded.
TEST(FuzzRegression, HugeInstanceCountIsRefusedBeforeAnyNameIsBuilt) {
  Hal hal;
  testing::Session s(hal);
  EXPECT_FALSE(s.run("loadrt and2 count=2000000000\n"));
  EXPECT_NE(s.err().find("test.hal:1: insmod for and2 failed, returned -1\n"), std::string::npos) << s.err();
  EXPECT_NE(s.err().find("(2000000000 requested)"), std::string::npos) << s.err();
  EXPECT_TRUE(hal.pins().empty());
  EXPECT_EQ(hal.find_component("and2"), nullptr);
}

}  // namespace
}  // namespace rtstep::hal
