// Regression tests for what fuzz/config.cpp found (docs/FUZZING.md). Each input is the fuzzer's finding,
// reduced to what matters.

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace rtstep::config {
namespace {

using testing::TempDir;

// An include name with a NUL byte: the file system reads only the part before the NUL, so
// `[include a.cfg<NUL>junk]` used to include a.cfg silently, and a later error named a file "a.cfg<NUL>"
// that does not exist. It must be refused with the file and line of the include.
TEST(FuzzRegression, IncludeNameWithNulIsRefusedNotTruncated) {
  TempDir dir;
  dir.write("a.cfg", "[mcu]\nserial: /dev/null\n");
  const std::string main = dir.write("printer.cfg", std::string("[printer]\n[include a.cfg\0junk]\n", 31));
  auto raw = read_raw(main);
  ASSERT_FALSE(raw.ok()) << "the include was followed: " << raw->sections.size() << " sections";
  EXPECT_EQ(raw.error().message.rfind(main + ":2: ", 0), 0U) << raw.error().message;
  EXPECT_EQ(raw.error().message.find(std::string("a.cfg\0", 6)), std::string::npos)
      << "the message must not name a file with a NUL in it";
}

}  // namespace
}  // namespace rtstep::config
