// SAVE_CONFIG's auto-save block, on text in memory, byte for byte as Klipper writes it.

#include "thermal/save_config.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace rtstep::thermal {
namespace {

constexpr const char* kHeader =
    "#*# <---------------------- SAVE_CONFIG ---------------------->\n"
    "#*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.\n"
    "#*#\n";

TEST(SaveConfig, AppendsANewBlock) {
  const std::string cfg =
      "[extruder]\nheater_pin: PA1\ncontrol: pid\npid_Kp: 1\npid_Ki: 2\n  # note\npid_Kd: 3\n\n"
      "[heater_bed]\nheater_pin: PA2\n";
  auto out = save_config_update(cfg, pid_save_entries("extruder", 22.2, 1.08, 114));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out.value(),
            "[extruder]\nheater_pin: PA1\n#control: pid\n#pid_Kp: 1\n#pid_Ki: 2\n  # note\n#pid_Kd: 3\n\n"
            "[heater_bed]\nheater_pin: PA2\n\n" +
                std::string(kHeader) +
                "#*# [extruder]\n#*# control = pid\n#*# pid_kp = 22.200\n#*# pid_ki = 1.080\n#*# pid_kd = 114.000\n");
}

TEST(SaveConfig, UpdatesAnExistingBlockKeepingOtherSections) {
  const std::string cfg = std::string("[extruder]\nheater_pin: PA1\n\n") + kHeader +
                          "#*# [stepper_z]\n#*# position_endstop = 0.625\n#*#\n"
                          "#*# [extruder]\n#*# control = pid\n#*# pid_kp = 27.142\n#*# pid_ki = 1.371\n"
                          "#*# pid_kd = 134.347\n#*#\n"
                          "#*# [bed_mesh default]\n#*# version = 1\n";
  auto out = save_config_update(cfg, pid_save_entries("extruder", 30, 1.5, 150.25));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), std::string("[extruder]\nheater_pin: PA1\n\n") + kHeader +
                             "#*# [stepper_z]\n#*# position_endstop = 0.625\n#*#\n"
                             "#*# [extruder]\n#*# control = pid\n#*# pid_kp = 30.000\n#*# pid_ki = 1.500\n"
                             "#*# pid_kd = 150.250\n#*#\n"
                             "#*# [bed_mesh default]\n#*# version = 1\n");
}

TEST(SaveConfig, NewSectionGoesLast) {
  const std::string cfg =
      std::string("[printer]\nkinematics: cartesian\n") + "\n" + kHeader + "#*# [extruder]\n#*# control = pid\n";
  auto out = save_config_update(cfg, pid_save_entries("heater_bed", 70, 1, 900));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), std::string("[printer]\nkinematics: cartesian\n\n") + kHeader +
                             "#*# [extruder]\n#*# control = pid\n#*#\n"
                             "#*# [heater_bed]\n#*# control = pid\n#*# pid_kp = 70.000\n#*# pid_ki = 1.000\n"
                             "#*# pid_kd = 900.000\n");
}

TEST(SaveConfig, IsIdempotent) {
  const auto entries = pid_save_entries("extruder", 22.2, 1.08, 114);
  auto once = save_config_update("[extruder]\ncontrol: watermark\n", entries);
  auto twice = save_config_update(once.value(), entries);
  EXPECT_EQ(once.value(), twice.value());
}

TEST(SaveConfig, ResultReadsBackWithTheSavedValues) {
  auto out = save_config_update("[extruder]\nheater_pin: PA1\ncontrol: watermark\npid_Kp: 1\n",
                                pid_save_entries("extruder", 22.2, 1.08, 114));
  auto raw = config::parse_raw(out.value(), "printer.cfg");
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  const auto* s = raw->find("extruder");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->values.at("control").text, "pid");
  EXPECT_EQ(s->values.at("pid_kp").text, "22.200");
}

TEST(SaveConfig, CorruptBlockIsRefused) {
  const std::string msg = "Existing config autosave is corrupted. Can't complete SAVE_CONFIG";
  const auto entries = pid_save_entries("extruder", 1, 2, 3);
  // Edited below the header.
  EXPECT_EQ(
      save_config_update(std::string("[x]\n\n") + kHeader + "#*# [extruder]\npid_Kp: 3\n", entries).error().message,
      msg);
  // A "#*# " line above the header.
  EXPECT_EQ(save_config_update("[x]\n#*# [extruder]\n", entries).error().message, msg);
}

}  // namespace
}  // namespace rtstep::thermal
