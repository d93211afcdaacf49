// sampler/streamer with the built-in halsampler/halstreamer, in LinuxCNC's text format.
#include <gtest/gtest.h>

#include <sstream>

#include "hal/sampler.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

TEST(Sampler, StreamerRowsComeBackThroughTheSampler) {
  Hal hal;
  Session s(hal);
  std::istringstream rows("1 -5 0.5 0x10\n# a comment\n0 7 -2.25 3\n\nTRUE 2147483647 1e3 4294967295\n");
  s.cmd().set_input(rows);
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=1000000\n"
                    "loadrt streamer cfg=bsfu depth=8\nloadrt sampler cfg=bsfu depth=8\n"
                    "net b streamer.0.pin.0 => sampler.0.pin.0\nnet s streamer.0.pin.1 => sampler.0.pin.1\n"
                    "net f streamer.0.pin.2 => sampler.0.pin.2\nnet u streamer.0.pin.3 => sampler.0.pin.3\n"
                    "addf streamer.0 t\naddf sampler.0 t\nloadusr -w halstreamer\n"))
      << s.err();
  EXPECT_EQ(*hal.get_pin_or_param("streamer.0.curr-depth"), "0") << "no cycle ran yet";
  ASSERT_TRUE(hal.run_virtual(4).ok());  // the 4th cycle finds the FIFO empty
  EXPECT_EQ(*hal.get_pin_or_param("streamer.0.underruns"), "1");
  EXPECT_EQ(*hal.get_pin_or_param("streamer.0.empty"), "TRUE");
  s.clear();
  ASSERT_TRUE(s.run("loadusr -w halsampler -n 4 -t\n")) << s.err();
  EXPECT_EQ(s.out(),
            "0 1 -5 0.500000 16 \n"
            "1 0 7 -2.250000 3 \n"
            "2 1 2147483647 1000.000000 4294967295 \n"
            "3 1 2147483647 1000.000000 4294967295 \n");  // an empty streamer holds its pins
  EXPECT_EQ(*hal.get_pin_or_param("sampler.0.sample-num"), "4");
}

TEST(Sampler, OverrunsAndErrors) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=1000000\nloadrt sampler cfg=s depth=2\naddf sampler.0 t\n"))
      << s.err();
  ASSERT_TRUE(hal.run_virtual(5).ok());
  EXPECT_EQ(*hal.get_pin_or_param("sampler.0.overruns"), "3");
  EXPECT_EQ(*hal.get_pin_or_param("sampler.0.full"), "TRUE");
  s.clear();
  EXPECT_FALSE(s.run("loadrt streamer cfg=bx\n"));
  EXPECT_EQ(s.err(), "streamer: cfg=bx: unknown pin type 'x' (b, f, s, u, l, k)\ntest.hal:1: insmod for streamer failed, returned -1\n");
  s.clear();
  EXPECT_FALSE(s.run("loadusr halstreamer\n"));
  EXPECT_EQ(s.err(), "test.hal:1: halstreamer: no streamer loaded (loadrt streamer cfg=...)\n");
  auto extra = parse_sample_row({Type::kBit, Type::kFloat}, "1 2   # words after the values are a comment");
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->size(), 2U);
  auto glued = parse_sample_row({Type::kBit, Type::kFloat}, "1 2#x");
  ASSERT_FALSE(glued.ok()) << "a value is a whole word";
  EXPECT_EQ(glued.error().message, "value '2#x' invalid for float");
}

}  // namespace
}  // namespace rtstep::hal
