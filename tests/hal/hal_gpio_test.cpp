// hal_gpio: HAL bits drive GPIO lines through the sim backend (only changes are written) and follow its inputs.
#include <gtest/gtest.h>

#include "gpio/gpio.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

TEST(HalGpio, OutputPinsDriveTheBackendLinesAndWriteOnlyChanges) {
  gpio::SimBackend sim;
  Hal hal;
  hal.set_gpio_backend(&sim);
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=base period1=25000\n"
                    "loadrt hal_gpio outputs=gpio17,!gpio27\n"
                    "addf hal_gpio.write base\n"))
      << s.err();
  ASSERT_EQ(sim.pins().size(), 2U);
  EXPECT_EQ(sim.pins()[0].name, "gpio17");
  EXPECT_FALSE(sim.pins()[0].inverted);
  EXPECT_EQ(sim.pins()[1].name, "gpio27");
  EXPECT_TRUE(sim.pins()[1].inverted);

  ASSERT_TRUE(hal.run_virtual(5).ok());
  EXPECT_EQ(sim.writes(), 0U);  // every line is already low: nothing to write
  ASSERT_TRUE(s.run("setp hal_gpio.gpio27-out TRUE\n")) << s.err();
  ASSERT_TRUE(hal.run_virtual(5).ok());
  EXPECT_EQ(sim.writes(), 1U);
  EXPECT_FALSE(sim.level(0));
  EXPECT_TRUE(sim.level(1));
  ASSERT_TRUE(s.run("setp hal_gpio.gpio17-out 1\nsetp hal_gpio.gpio27-out 0\n")) << s.err();
  ASSERT_TRUE(hal.run_virtual(1).ok());
  EXPECT_EQ(sim.writes(), 2U);  // both changes in one write
  EXPECT_TRUE(sim.level(0));
  EXPECT_FALSE(sim.level(1));
}

TEST(HalGpio, AChargePumpInTheBaseThreadTogglesTheLineEveryPeriod) {
  gpio::SimBackend sim;
  Hal hal;
  hal.set_gpio_backend(&sim);
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=base period1=25000\n"
                    "loadrt charge_pump\nloadrt hal_gpio outputs=gpio4\n"
                    "addf charge-pump base\naddf hal_gpio.write base -1\n"
                    "net cp charge-pump.out => hal_gpio.gpio4-out\n"))
      << s.err();
  ASSERT_TRUE(hal.run_virtual(1000).ok());
  EXPECT_EQ(sim.rising_edges(0), 500U);
  EXPECT_EQ(sim.writes(), 1000U);
}

TEST(HalGpio, ErrorsNameTheArgumentAndThePin) {
  gpio::SimBackend sim;
  Hal hal;
  hal.set_gpio_backend(&sim);
  Session s(hal);
  EXPECT_FALSE(s.run("loadrt hal_gpio outputs=gpio17,gpio17\n"));
  EXPECT_NE(s.err().find("hal_gpio: outputs=gpio17,gpio17: sim backend: pin gpio17 used twice"),
            std::string::npos)
      << s.err();
  EXPECT_EQ(hal.find_component("hal_gpio"), nullptr);
  s.clear();
  EXPECT_FALSE(s.run("loadrt hal_gpio\n"));
  EXPECT_NE(s.err().find("outputs= or inputs= is required"), std::string::npos) << s.err();
  s.clear();
  EXPECT_FALSE(s.run("loadrt hal_gpio inputs=^~gpio9\n"));
  EXPECT_NE(s.err().find("'^~gpio9' asks for two pull resistors"), std::string::npos) << s.err();
  s.clear();
  EXPECT_FALSE(s.run("loadrt hal_gpio outputs=gpio1,!\n"));
  EXPECT_NE(s.err().find("a '!' without a pin name"), std::string::npos) << s.err();
}

TEST(HalGpio, InputPinsFollowTheBackendsInputs) {
  gpio::SimBackend sim;
  Hal hal;
  hal.set_gpio_backend(&sim);
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=base period1=25000\n"
                    "loadrt hal_gpio outputs=gpio17 inputs=^gpio22,!~gpio23\n"
                    "addf hal_gpio.read base 1\naddf hal_gpio.write base -1\n"))
      << s.err();
  ASSERT_EQ(sim.inputs().size(), 2U);
  EXPECT_EQ(sim.inputs()[0].name, "gpio22");
  EXPECT_EQ(sim.inputs()[0].pull, gpio::Pull::kUp);
  EXPECT_FALSE(sim.inputs()[0].inverted);
  EXPECT_EQ(sim.inputs()[1].name, "gpio23");
  EXPECT_EQ(sim.inputs()[1].pull, gpio::Pull::kDown);
  EXPECT_TRUE(sim.inputs()[1].inverted);
  ASSERT_TRUE(hal.run_virtual(1).ok());
  EXPECT_EQ(*hal.get_pin_or_param("hal_gpio.gpio22-in"), "FALSE");
  EXPECT_EQ(*hal.get_pin_or_param("hal_gpio.gpio22-in-not"), "TRUE");
  sim.set_input(0, true);
  ASSERT_TRUE(hal.run_virtual(1).ok());
  EXPECT_EQ(*hal.get_pin_or_param("hal_gpio.gpio22-in"), "TRUE");
  EXPECT_EQ(*hal.get_pin_or_param("hal_gpio.gpio22-in-not"), "FALSE");
  EXPECT_EQ(*hal.get_pin_or_param("hal_gpio.gpio23-in"), "FALSE");
  sim.set_input(0, false);
  sim.set_input(1, true);
  ASSERT_TRUE(hal.run_virtual(1).ok());
  EXPECT_EQ(*hal.get_pin_or_param("hal_gpio.gpio22-in"), "FALSE");
  EXPECT_EQ(*hal.get_pin_or_param("hal_gpio.gpio23-in"), "TRUE");
}

TEST(HalGpio, OpensTheHalsBackendKindWhenNoneIsLent) {
  Hal hal;  // default kind: sim
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=base period1=25000\nloadrt hal_gpio outputs=gpio5\naddf hal_gpio.write base\n"
                    "setp hal_gpio.gpio5-out 1\n"))
      << s.err();
  EXPECT_TRUE(hal.run_virtual(2).ok());
  EXPECT_EQ(*hal.get_pin_or_param("hal_gpio.gpio5-out"), "TRUE");
}

}  // namespace
}  // namespace rtstep::hal
