// Tests of parse_pin and parse_cpu_list, and of pin errors in context.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace rtstep::config {
namespace {

using testing::error_of;
using testing::kMinimal;
using testing::replace_line;

PinConfig pin_ok(const std::string& text) {
  auto pin = parse_pin(text);
  EXPECT_TRUE(pin.ok()) << pin.error().message;
  return pin ? pin.value() : PinConfig{};
}

std::string pin_error(const std::string& text) {
  auto pin = parse_pin(text);
  return pin ? std::string("<ok>") : pin.error().message;
}

TEST(ParsePin, PlainNames) {
  for (const char* name :
       {"PB9", "gpio17", "gpiochip0/gpio17", "ar48", "EXP1_7", "rpi:gpio20", "P1.29", "probe:z_virtual_endstop"}) {
    const PinConfig pin = pin_ok(name);
    EXPECT_EQ(pin.name, name);
    EXPECT_FALSE(pin.inverted || pin.pullup || pin.pulldown) << name;
  }
}

TEST(ParsePin, ModifiersInAnyOrder) {
  PinConfig pin = pin_ok("!PC3");
  EXPECT_EQ(pin.name, "PC3");
  EXPECT_TRUE(pin.inverted);
  pin = pin_ok("^!PA5");
  EXPECT_TRUE(pin.inverted && pin.pullup && !pin.pulldown);
  EXPECT_EQ(pin.name, "PA5");
  pin = pin_ok("!^PA5");
  EXPECT_TRUE(pin.inverted && pin.pullup);
  pin = pin_ok("~PA6");
  EXPECT_TRUE(pin.pulldown && !pin.pullup && !pin.inverted);
  pin = pin_ok("  ! ~ gpio4 ");  // blanks around modifiers, as Klipper allows
  EXPECT_TRUE(pin.inverted && pin.pulldown);
  EXPECT_EQ(pin.name, "gpio4");
  EXPECT_FALSE(pin.empty());
  EXPECT_TRUE(PinConfig{}.empty());
}

TEST(ParsePin, Errors) {
  EXPECT_EQ(pin_error("PB 9"), "bad pin \"PB 9\": whitespace inside the name");
  EXPECT_EQ(pin_error(""), "bad pin \"\": empty pin name");
  EXPECT_EQ(pin_error("!"), "bad pin \"!\": empty pin name");
  EXPECT_EQ(pin_error("!!PB9"), "bad pin \"!!PB9\": modifier '!' repeated");
  EXPECT_EQ(pin_error("^~PB9"), "bad pin \"^~PB9\": both pull-up '^' and pull-down '~'");
  EXPECT_EQ(pin_error("PB9!"),
            "bad pin \"PB9!\": unexpected character '!' (allowed: letters, digits, '_', '/', '.', '-', ':')");
  EXPECT_EQ(pin_error("P$1"),
            "bad pin \"P$1\": unexpected character '$' (allowed: letters, digits, '_', '/', '.', '-', ':')");
}

TEST(ParsePin, ErrorInContextNamesFileLineSectionAndKey) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 7, "step_pin: PB 9")),
            "printer.cfg:7: [stepper_x] step_pin: bad pin \"PB 9\": whitespace inside the name");
  EXPECT_EQ(error_of(replace_line(kMinimal, 18, "enable_pin: !!PC3")),
            "printer.cfg:18: [stepper_y] enable_pin: bad pin \"!!PC3\": modifier '!' repeated");
  EXPECT_EQ(error_of(replace_line(kMinimal, 26, "dir_pin:")),
            "printer.cfg:26: [stepper_z] dir_pin: bad pin \"\": empty pin name");
  EXPECT_EQ(error_of(replace_line(kMinimal, 8, "dir_pin: PC2\nendstop_pin: ^^PA5")),
            "printer.cfg:9: [stepper_x] endstop_pin: bad pin \"^^PA5\": modifier '^' repeated");
}

TEST(ParseCpuList, ListsAndRanges) {
  EXPECT_EQ(parse_cpu_list("1").value(), (std::vector<int>{1}));
  EXPECT_EQ(parse_cpu_list("0-1,3").value(), (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(parse_cpu_list(" 3 , 1-2, 2 ").value(), (std::vector<int>{1, 2, 3}));  // sorted, unique
  EXPECT_EQ(parse_cpu_list("1023").value(), (std::vector<int>{1023}));
  EXPECT_TRUE(parse_cpu_list("").value().empty());
  EXPECT_TRUE(parse_cpu_list("  ").value().empty());
}

TEST(ParseCpuList, Errors) {
  EXPECT_EQ(parse_cpu_list("a").error().message, "bad CPU range \"a\"");
  EXPECT_EQ(parse_cpu_list("1,").error().message, "bad CPU range \"\"");
  EXPECT_EQ(parse_cpu_list("-1").error().message, "bad CPU range \"-1\"");
  EXPECT_EQ(parse_cpu_list("3-1").error().message, "bad CPU range \"3-1\": first CPU is greater than last");
  EXPECT_EQ(parse_cpu_list("0-1024").error().message, "CPU 1024 is out of range (0..1023)");
  EXPECT_EQ(parse_cpu_list("1.5").error().message, "bad CPU range \"1.5\"");
}

}  // namespace
}  // namespace rtstep::config
