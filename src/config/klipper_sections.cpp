// The table of sections and keys (see klipper_sections.hpp). Klipper's entries follow its
// docs/Config_Reference.md at v0.13.0-730 (2026-08-07), keys lower-cased as Klipper reads them; removed keys
// follow its docs/Config_Changes.md. What rtstep does with each section is the `support` column.

#include "config/klipper_sections.hpp"

#include <algorithm>
#include <cctype>

namespace rtstep::config {

namespace {

using enum Naming;
using enum Support;

// Key groups shared by several sections.
constexpr std::string_view kMotor =
    "step_pin dir_pin enable_pin rotation_distance microsteps full_steps_per_rotation gear_ratio step_pulse_duration";
constexpr std::string_view kRail =
    "endstop_pin position_min position_endstop position_max homing_speed homing_retract_dist homing_retract_speed "
    "second_homing_speed homing_positive_dir";
constexpr std::string_view kHeater =
    "heater_pin max_power sensor_type sensor_pin smooth_time control pid_kp pid_ki pid_kd max_delta pwm_cycle_time "
    "min_extrude_temp min_temp max_temp gcode_id";
// Keys of the temperature sensor types ("Temperature sensors" in Klipper's reference), valid wherever a
// sensor_type is: which of them a given type reads is left to the module that reads the sensor.
constexpr std::string_view kSensor =
    "pullup_resistor inline_resistor adc_voltage voltage_offset tc_type tc_use_50hz_filter tc_averaging_count "
    "rtd_nominal_r rtd_reference_r rtd_num_of_wires rtd_use_50hz_filter spi_speed spi_bus spi_software_sclk_pin "
    "spi_software_mosi_pin spi_software_miso_pin i2c_address i2c_mcu i2c_bus i2c_software_scl_pin "
    "i2c_software_sda_pin i2c_speed aht10_report_time htu21d_hold_master htu21d_resolution htu21d_report_time "
    "lm75_report_time sensor_mcu sensor_temperature1 sensor_adc1 sensor_temperature2 sensor_adc2 sensor_path "
    "serial_no ds18_report_time sensor_list combination_method maximum_deviation";
constexpr std::string_view kExtruder =
    "nozzle_diameter filament_diameter max_extrude_cross_section instantaneous_corner_velocity "
    "max_extrude_only_distance max_extrude_only_velocity max_extrude_only_accel pressure_advance "
    "pressure_advance_smooth_time";
constexpr std::string_view kFan =
    "pin max_power shutdown_speed cycle_time hardware_pwm kick_start_time off_below tachometer_pin tachometer_ppr "
    "tachometer_poll_interval enable_pin";
constexpr std::string_view kFanIgnored = "enable_pin tachometer_pin tachometer_ppr tachometer_poll_interval";
constexpr std::string_view kSpi =
    "cs_pin spi_speed spi_bus spi_software_sclk_pin spi_software_mosi_pin spi_software_miso_pin";
constexpr std::string_view kI2c = "i2c_address i2c_mcu i2c_bus i2c_software_scl_pin i2c_software_sda_pin i2c_speed";
constexpr std::string_view kProbe =
    "x_offset y_offset z_offset speed lift_speed samples sample_retract_dist samples_result samples_tolerance "
    "samples_tolerance_retries activate_gcode deactivate_gcode deactivate_on_each_sample";
constexpr std::string_view kTmc =
    "interpolate run_current hold_current sense_resistor stealthchop_threshold coolstep_threshold "
    "high_velocity_threshold driver_*";
constexpr std::string_view kLed = "initial_red initial_green initial_blue initial_white";
constexpr std::string_view kRunout = "pause_on_runout runout_gcode insert_gcode event_delay pause_delay";
constexpr std::string_view kLoadCell =
    "sensor_type counts_per_gram reference_tare_counts sensor_orientation sclk_pin dout_pin gain sample_rate "
    "data_ready_pin pga_bypass input_mux vref adc_channel clock_freq pwm_clock enable_global_chop global_chop_delay";
constexpr std::string_view kDisplay =
    "lcd_type display_group menu_timeout menu_root menu_reverse_navigation encoder_pins encoder_steps_per_detent "
    "click_pin back_pin up_pin down_pin kill_pin analog_pullup_resistor analog_range_click_pin analog_range_back_pin "
    "analog_range_up_pin analog_range_down_pin analog_range_kill_pin rs_pin e_pin d4_pin d5_pin d6_pin d7_pin "
    "hd44780_protocol_init line_length latch_pin sclk_pin sid_pin en_pin a0_pin rst_pin contrast dc_pin reset_pin "
    "vcomh invert x_offset";

constexpr std::string_view kRetractSpeed = "a homing retract speed of its own (it retracts at homing_speed)";
constexpr std::string_view kProbing = "probing (PROBE, a probe as Z endstop)";
constexpr std::string_view kOtherKinematics = "this kinematics (rtstep moves cartesian and corexy machines)";
constexpr std::string_view kExtraStepperHint =
    "an extra stepper takes only the motor keys and endstop_pin; travel and homing are set in its axis' first "
    "stepper section";

// clang-format off
constexpr SectionSpec kSpecs[] = {
    // Micro-controllers and kinematics.
    {"mcu", kPlainOrNamed, {"serial baud canbus_uuid canbus_interface restart_method"}, kIgnored},
    {"printer", kPlain, {"kinematics max_velocity max_accel minimum_cruise_ratio square_corner_velocity "
                         "max_z_velocity max_z_accel",
                         "minimum_z_position delta_radius print_radius min_angle print_width slow_ratio "
                         "shoulder_radius shoulder_height"}, kUsed,
     "minimum_z_position delta_radius print_radius min_angle print_width slow_ratio shoulder_radius shoulder_height"},
    {"stepper_x", kPlain, {kMotor, kRail}, kUsed, {}, "homing_retract_speed", kRetractSpeed},
    {"stepper_y", kPlain, {kMotor, kRail}, kUsed, {}, "homing_retract_speed", kRetractSpeed},
    {"stepper_z", kPlain, {kMotor, kRail}, kUsed, {}, "homing_retract_speed", kRetractSpeed},
    {"stepper_x", kNumbered, {kMotor, "endstop_pin"}, kUsed, {}, {}, {}, kExtraStepperHint},
    {"stepper_y", kNumbered, {kMotor, "endstop_pin"}, kUsed, {}, {}, {}, kExtraStepperHint},
    {"stepper_z", kNumbered, {kMotor, "endstop_pin"}, kUsed, {}, {}, {}, kExtraStepperHint},
    {"stepper_a", kPlain, {kMotor, kRail, "arm_length angle upper_arm_length lower_arm_length anchor_x anchor_y "
                                          "anchor_z"}, kWarned, {}, {}, kOtherKinematics},
    {"stepper_b", kPlain, {kMotor, kRail, "arm_length angle upper_arm_length lower_arm_length anchor_x anchor_y "
                                          "anchor_z"}, kWarned, {}, {}, kOtherKinematics},
    {"stepper_c", kPlain, {kMotor, kRail, "arm_length angle upper_arm_length lower_arm_length anchor_x anchor_y "
                                          "anchor_z"}, kWarned, {}, {}, kOtherKinematics},
    {"stepper_d", kPlain, {kMotor, kRail, "anchor_x anchor_y anchor_z"}, kWarned, {}, {}, kOtherKinematics},
    {"stepper_left", kPlain, {kMotor, kRail, "arm_length arm_x_length"}, kWarned, {}, {}, kOtherKinematics},
    {"stepper_right", kPlain, {kMotor, kRail, "arm_length arm_x_length"}, kWarned, {}, {}, kOtherKinematics},
    {"stepper_bed", kPlain, {kMotor, kRail}, kWarned, {}, {}, kOtherKinematics},
    {"stepper_arm", kPlain, {kMotor, kRail}, kWarned, {}, {}, kOtherKinematics},
    {"delta_calibrate", kPlain, {"radius speed horizontal_move_z"}, kWarned, {}, {}, "delta calibration"},
    {"carriage", kNamed, {"axis", kRail}, kWarned, {}, {}, kOtherKinematics},
    {"stepper", kNamed, {"carriages", kMotor}, kWarned, {}, {}, kOtherKinematics},
    {"extra_carriage", kNamed, {"primary_carriage endstop_pin"}, kWarned, {}, {}, kOtherKinematics},

    // Extruders and heated beds.
    {"extruder", kPlain, {kMotor, kExtruder, kHeater, kSensor}, kUsed, {},
     "pressure_advance pressure_advance_smooth_time", "pressure advance"},
    {"extruder", kNumbered, {kMotor, kExtruder, kHeater, kSensor}, kWarned, {}, {},
     "a second extruder's motion (its heater is controlled, its motor never moves)"},
    {"heater_bed", kPlain, {kHeater, kSensor}, kUsed},

    // Bed levelling.
    {"bed_mesh", kPlain, {"speed horizontal_move_z mesh_radius mesh_origin mesh_min mesh_max probe_count "
                          "round_probe_count fade_start fade_end fade_target split_delta_z move_check_distance "
                          "mesh_pps algorithm bicubic_tension zero_reference_position adaptive_margin scan_overshoot",
                          "faulty_region_#_min faulty_region_#_max"},
     kWarned, {}, {}, "bed mesh compensation (moves are not corrected for the shape of the bed)"},
    // A mesh profile saved by BED_MESH_PROFILE SAVE in the SAVE_CONFIG block.
    {"bed_mesh", kNamed, {"version points min_x max_x min_y max_y x_count y_count mesh_x_pps mesh_y_pps algo "
                          "tension"}, kWarned, {}, {}, "bed mesh compensation (the saved mesh is not applied)"},
    {"bed_tilt", kPlain, {"x_adjust y_adjust z_adjust points speed horizontal_move_z"}, kWarned, {}, {},
     "bed tilt compensation"},
    {"bed_screws", kPlain, {"horizontal_move_z probe_height speed probe_speed screw# screw#_name screw#_fine_adjust"},
     kWarned, {}, {}, "the bed screws tool (BED_SCREWS_ADJUST)"},
    {"screws_tilt_adjust", kPlain, {"speed horizontal_move_z screw_thread screw# screw#_name"}, kWarned, {}, {},
     "bed screw measurement by probing (SCREWS_TILT_CALCULATE)"},
    {"z_tilt", kPlain, {"z_positions points speed horizontal_move_z retries retry_tolerance"}, kWarned, {}, {},
     "Z tilt adjustment (Z_TILT_ADJUST)"},
    {"quad_gantry_level", kPlain, {"gantry_corners points speed horizontal_move_z max_adjust retries retry_tolerance"},
     kWarned, {}, {}, "gantry levelling (QUAD_GANTRY_LEVEL)"},
    {"skew_correction", kPlain, {}, kWarned, {}, {}, "skew correction"},
    // A skew profile saved by SKEW_PROFILE SAVE in the SAVE_CONFIG block.
    {"skew_correction", kNamed, {"xy_skew xz_skew yz_skew"}, kWarned, {}, {}, "skew correction"},
    {"z_thermal_adjust", kPlain, {"temp_coeff smooth_time z_adjust_off_above max_z_adjustment sensor_type sensor_pin "
                                  "min_temp max_temp gcode_id", kSensor}, kWarned, {}, {},
     "thermal Z compensation"},

    // Homing.
    {"safe_z_home", kPlain, {"home_xy_position speed z_hop z_hop_speed move_to_previous"}, kUsed},  // rtstep serve
    {"homing_override", kPlain, {"gcode axes set_position_x set_position_y set_position_z"}, kUsed, {},  // rtstep serve
     "set_position_x set_position_y set_position_z", "setting a position before the override's gcode"},
    {"endstop_phase", kPlainOrNamed, {"endstop_accuracy trigger_phase endstop_align_zero"}, kWarned, {}, {},
     "endstop phase adjustment"},

    // G-code macros and optional G-code features.
    {"gcode_macro", kNamed, {"gcode description rename_existing variable_*"}, kUsed, {}, {}, {},
     "a macro variable is written variable_NAME"},
    {"delayed_gcode", kNamed, {"gcode initial_duration"}, kUsed},
    {"save_variables", kPlain, {"filename"}, kUsed},  // rtstep serve
    {"idle_timeout", kPlain, {"gcode timeout"}, kUsed},  // rtstep serve
    {"virtual_sdcard", kPlain, {"path on_error_gcode"}, kUsed, "on_error_gcode"},  // rtstep serve
    {"sdcard_loop", kPlain, {}, kIgnored},
    {"force_move", kPlain, {"enable_force_move"}, kIgnored},
    {"pause_resume", kPlain, {"recover_velocity"}, kUsed},  // rtstep serve
    {"firmware_retraction", kPlain, {"retract_length retract_speed unretract_extra_length unretract_speed"}, kUsed},  // rtstep serve
    {"gcode_arcs", kPlain, {"resolution"}, kUsed},
    {"respond", kPlain, {"default_type default_prefix"}, kUsed},  // rtstep serve
    {"exclude_object", kPlain, {}, kUsed},  // rtstep serve

    // Resonance compensation.
    {"input_shaper", kPlain, {"shaper_freq_x shaper_freq_y shaper_freq_z shaper_type shaper_type_x shaper_type_y "
                              "shaper_type_z damping_ratio_x damping_ratio_y damping_ratio_z"}, kWarned, {}, {},
     "input shaping"},
    {"adxl345", kPlainOrNamed, {kSpi, "axes_map rate"}, kIgnored},
    {"icm20948", kPlainOrNamed, {kI2c, "axes_map"}, kIgnored},
    {"lis2dw", kPlainOrNamed, {kSpi, kI2c, "axes_map"}, kIgnored},
    {"lis3dh", kPlainOrNamed, {kSpi, kI2c, "axes_map"}, kIgnored},
    {"bmi160", kPlainOrNamed, {kSpi, kI2c, "axes_map"}, kIgnored},
    {"mpu9250", kPlainOrNamed, {kI2c, "axes_map"}, kIgnored},
    {"resonance_tester", kPlain, {"probe_points accel_chip accel_chip_x accel_chip_y accel_chip_z max_smoothing "
                                  "move_speed min_freq max_freq max_freq_z accel_per_hz accel_per_hz_z hz_per_sec "
                                  "sweeping_accel sweeping_accel_z sweeping_period"}, kIgnored},

    // Config file helpers ([include] is read by the raw reader and never becomes a section).
    {"board_pins", kPlainOrNamed, {"mcu aliases aliases_*"}, kIgnored},
    {"duplicate_pin_override", kPlain, {"pins"}, kIgnored},

    // Bed probing hardware.
    {"probe", kPlain, {"pin", kProbe}, kWarned, {}, {}, kProbing},
    {"bltouch", kPlain, {"sensor_pin control_pin pin_move_time stow_on_each_sample probe_with_touch_mode "
                         "pin_up_reports_not_triggered pin_up_touch_mode_reports_triggered set_output_mode", kProbe},
     kWarned, {}, {}, kProbing},
    {"smart_effector", kPlain, {"pin control_pin probe_accel recovery_time", kProbe}, kWarned, {}, {}, kProbing},
    {"probe_eddy_current", kNamed, {"sensor_type frequency intb_pin max_sensor_hz descend_z tap_threshold "
                                    "tap_z_offset", kI2c, kProbe}, kWarned, {}, {}, kProbing},
    {"axis_twist_compensation", kPlain, {"speed horizontal_move_z calibrate_start_x calibrate_end_x calibrate_y "
                                         "calibrate_start_y calibrate_end_y calibrate_x"}, kWarned, {}, {},
     "axis twist compensation"},

    // Additional steppers.
    {"dual_carriage", kPlainOrNamed, {"primary_carriage axis safe_distance", kMotor, kRail}, kWarned, {}, {},
     "dual carriages"},
    {"extruder_stepper", kNamed, {"extruder pressure_advance pressure_advance_smooth_time", kMotor}, kWarned, {}, {},
     "extra extruder steppers"},
    {"manual_stepper", kNamed, {"velocity accel", kMotor, kRail}, kWarned, {}, {}, "manual steppers"},

    // Heaters and temperature sensors.
    {"verify_heater", kNamed, {"max_error check_gain_time hysteresis heating_gain"}, kUsed},
    {"homing_heaters", kPlain, {"steppers heaters"}, kIgnored},
    {"thermistor", kNamed, {"temperature1 resistance1 temperature2 resistance2 temperature3 resistance3 beta"}, kUsed},
    {"adc_temperature", kNamed, {"temperature# voltage# resistance#"}, kIgnored},
    {"heater_generic", kNamed, {kHeater, kSensor}, kUsed},
    {"temperature_sensor", kNamed, {"sensor_type sensor_pin min_temp max_temp gcode_id", kSensor}, kUsed},
    {"temperature_probe", kNamed, {"sensor_type sensor_pin min_temp max_temp smooth_time gcode_id speed "
                                   "horizontal_move_z resting_z calibration_position calibration_bed_temp "
                                   "calibration_extruder_temp extruder_heating_z max_validation_temp", kSensor},
     kWarned, {}, {}, "probe drift compensation"},

    // Fans.
    {"fan", kPlain, {kFan}, kUsed, kFanIgnored},
    {"heater_fan", kNamed, {kFan, "heater heater_temp fan_speed"}, kUsed, kFanIgnored},
    {"controller_fan", kNamed, {kFan, "fan_speed idle_timeout idle_speed heater stepper"}, kUsed, kFanIgnored},
    {"temperature_fan", kNamed, {kFan, "control max_delta min_temp max_temp pid_kp pid_ki pid_kd pid_deriv_time "
                                       "target_temp max_speed min_speed gcode_id sensor_type sensor_pin", kSensor},
     kIgnored},
    {"fan_generic", kNamed, {kFan}, kUsed, kFanIgnored},

    // LEDs, servos, buttons, other pins.
    {"led", kNamed, {"red_pin green_pin blue_pin white_pin cycle_time hardware_pwm", kLed}, kIgnored},
    {"neopixel", kNamed, {"pin chain_count color_order", kLed}, kIgnored},
    {"dotstar", kNamed, {"data_pin clock_pin chain_count", kLed}, kIgnored},
    {"pca9533", kNamed, {kI2c, kLed}, kIgnored},
    {"pca9632", kNamed, {kI2c, "color_order", kLed}, kIgnored},
    {"servo", kNamed, {"pin maximum_servo_angle minimum_pulse_width maximum_pulse_width initial_angle "
                       "initial_pulse_width"}, kIgnored},
    {"gcode_button", kNamed, {"pin analog_range analog_pullup_resistor press_gcode release_gcode debounce_delay"},
     kIgnored},
    {"output_pin", kNamed, {"pin pwm value shutdown_value cycle_time hardware_pwm scale maximum_mcu_duration "
                            "static_value"}, kIgnored},
    {"static_pwm_clock", kNamed, {"pin frequency"}, kIgnored},
    {"pwm_tool", kNamed, {"pin maximum_mcu_duration value shutdown_value cycle_time hardware_pwm scale"}, kIgnored},
    {"pwm_cycle_time", kNamed, {"pin value shutdown_value cycle_time scale"}, kIgnored},
    {"static_digital_output", kNamed, {"pins"}, kIgnored},
    {"multi_pin", kNamed, {"pins"}, kIgnored},

    // Stepper drivers: currents and chopper settings, set over UART/SPI by the MCU.
    {"tmc2130", kNamed, {kSpi, kTmc, "chain_position chain_length diag0_pin diag1_pin"}, kIgnored},
    {"tmc2208", kNamed, {"uart_pin tx_pin select_pins", kTmc}, kIgnored},
    {"tmc2209", kNamed, {"uart_pin tx_pin select_pins uart_address diag_pin", kTmc}, kIgnored},
    {"tmc2660", kNamed, {kSpi, "interpolate run_current sense_resistor idle_current_percent driver_*"}, kIgnored},
    {"tmc2240", kNamed, {kSpi, kTmc, "uart_pin chain_position chain_length rref diag0_pin diag1_pin"}, kIgnored},
    {"tmc5160", kNamed, {kSpi, kTmc, "chain_position chain_length diag0_pin diag1_pin"}, kIgnored},
    {"ad5206", kNamed, {kSpi, "enable_pin channel_1 channel_2 channel_3 channel_4 channel_5 channel_6 scale"},
     kIgnored},
    {"mcp4451", kNamed, {kI2c, "wiper_0 wiper_1 wiper_2 wiper_3 scale"}, kIgnored},
    {"mcp4728", kNamed, {kI2c, "channel_a channel_b channel_c channel_d scale"}, kIgnored},
    {"mcp4018", kNamed, {kI2c, "wiper scale"}, kIgnored},

    // Displays.
    {"display", kPlainOrNamed, {kDisplay, kSpi, kI2c}, kIgnored},
    {"display_data", kNamed, {"position text"}, kIgnored},
    {"display_template", kNamed, {"text param_*"}, kIgnored},
    {"display_glyph", kNamed, {"data hd44780_data hd44780_slot"}, kIgnored},
    {"menu", kNamed, {"type name enable index gcode input input_min input_max input_step realtime"}, kIgnored},

    // Filament sensors.
    {"filament_switch_sensor", kNamed, {"switch_pin debounce_delay", kRunout}, kIgnored},
    {"filament_motion_sensor", kNamed, {"detection_length extruder switch_pin", kRunout}, kIgnored},
    {"tsl1401cl_filament_width_sensor", kPlain, {"pin default_nominal_filament_diameter max_difference "
                                                 "measurement_delay"}, kIgnored},
    {"hall_filament_width_sensor", kPlain, {"adc1 adc2 cal_dia1 cal_dia2 raw_dia1 raw_dia2 "
                                            "default_nominal_filament_diameter max_difference measurement_delay enable "
                                            "enable_flow_compensation measurement_interval logging min_diameter "
                                            "max_diameter use_current_dia_while_delay", kRunout}, kIgnored},

    // Load cells.
    {"load_cell", kPlainOrNamed, {kLoadCell, kSpi}, kIgnored},
    {"load_cell_probe", kPlain, {kLoadCell, kSpi, "force_safety_limit trigger_force drift_filter_cutoff_frequency "
                                                   "drift_filter_delay buzz_filter_cutoff_frequency buzz_filter_delay "
                                                   "notch_filter_frequencies notch_filter_quality tare_time "
                                                   "z_offset speed samples sample_retract_dist lift_speed "
                                                   "samples_result samples_tolerance samples_tolerance_retries "
                                                   "activate_gcode deactivate_gcode"}, kWarned, {}, {}, kProbing},

    // Board specific hardware and other modules.
    {"sx1509", kNamed, {kI2c}, kIgnored},
    {"samd_sercom", kNamed, {"sercom tx_pin rx_pin clk_pin"}, kIgnored},
    {"adc_scaled", kNamed, {"vref_pin vssa_pin smooth_time"}, kIgnored},
    {"ads1x1x", kNamed, {"chip pga adc_voltage i2c_mcu i2c_bus address_pin"}, kIgnored},
    {"replicape", kPlain, {"revision enable_pin host_mcu standstill_power_down stepper_#_microstep_mode "
                           "stepper_#_current stepper_#_chopper_off_time_high stepper_#_chopper_hysteresis_high "
                           "stepper_#_chopper_blank_time_high"}, kIgnored},
    {"palette2", kPlain, {"serial baud feedrate_splice feedrate_normal auto_load_speed auto_cancel_variation"},
     kIgnored},
    {"angle", kNamed, {kSpi, "sensor_type sample_period stepper"}, kIgnored},

    // Sections without keys that load a Klipper module (written in configs to enable its commands).
    {"display_status", kPlain, {}, kIgnored},
    {"manual_probe", kPlain, {}, kIgnored},
    {"tuning_tower", kPlain, {}, kIgnored},
    {"statistics", kPlain, {}, kIgnored},
    {"query_adc", kPlain, {}, kIgnored},
    {"query_endstops", kPlain, {}, kUsed},
    {"print_stats", kPlain, {}, kUsed},
    {"gcode_move", kPlain, {}, kUsed},
    {"pid_calibrate", kPlain, {}, kIgnored},

    // rtstep's own sections (docs/configuration.md).
    {"rt", kPlain, {"executor_priority cpus host_cpus slack buffer_time ring_capacity max_step_error dir_setup_time "
                    "step_dir_step_filter "
                    "allow_non_realtime learn_slack max_slack max_lateness max_bunch late_threshold stall_threshold "
                    "underrun_margin heartbeat_timeout",
                    "base_priority servo_priority host_priority planner_priority log_nice base_period servo_period"},
     kUsed, {}, {}, {}, {}, true},
    {"sim", kPlain, {"start_position_x start_position_y start_position_z start_position_x# start_position_y# "
                     "start_position_z#"}, kUsed, {}, {}, {}, {}, true},
    {"sim_heater", kNamed, {"heater_power heat_capacity ambient_loss sensor_lag noise ambient_temp seed fault "
                            "fault_time"}, kUsed, {}, {}, {}, {}, true},
};

constexpr RemovedKey kRemoved[] = {
    {"printer", "max_accel_to_decel", "2025-08-11", "minimum_cruise_ratio"},
    {"printer", "max_stepper_error", "2025-10-03", ""},
    {"stepper_x", "step_distance", "2021-11-02", "rotation_distance"},
    {"stepper_y", "step_distance", "2021-11-02", "rotation_distance"},
    {"stepper_z", "step_distance", "2021-11-02", "rotation_distance"},
    {"extruder", "step_distance", "2021-11-02", "rotation_distance"},
    {"extruder", "shared_heater", "2024-02-15", "[extruder_stepper NAME]"},
    {"extruder", "pid_integral_max", "2021-11-02", ""},
    {"heater_bed", "pid_integral_max", "2021-11-02", ""},
    {"heater_generic", "pid_integral_max", "2021-11-02", ""},
    {"mcu", "pin_map", "2021-11-02", ""},
    {"bed_mesh", "relative_reference_index", "2024-02-15", "zero_reference_position"},
    {"gcode_macro", "default_parameter_*", "2021-11-02", "params.NAME|default(...) in the template"},
    {"pca9632", "scl_pin", "2025-07-21", "i2c_software_scl_pin"},
    {"pca9632", "sda_pin", "2025-07-21", "i2c_software_sda_pin"},
    {"mcp4018", "scl_pin", "2025-07-21", "i2c_software_scl_pin"},
    {"mcp4018", "sda_pin", "2025-07-21", "i2c_software_sda_pin"},
};
// clang-format on

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Whether `key` matches `pattern`: '#' stands for one or more digits, '*' for one or more characters.
bool matches(std::string_view pattern, std::string_view key) {
  if (pattern.empty()) return key.empty();
  if (pattern.front() == '*') {
    for (size_t n = 1; n <= key.size(); ++n) {
      if (matches(pattern.substr(1), key.substr(n))) return true;
    }
    return false;
  }
  if (pattern.front() == '#') {
    size_t digits = 0;
    while (digits < key.size() && is_digit(key[digits])) ++digits;
    for (size_t n = digits; n >= 1; --n) {
      if (matches(pattern.substr(1), key.substr(n))) return true;
    }
    return false;
  }
  return !key.empty() && key.front() == pattern.front() && matches(pattern.substr(1), key.substr(1));
}

bool is_pattern(std::string_view key) { return key.find_first_of("#*") != std::string_view::npos; }

// Calls `f` for every key of a space-separated list; stops when `f` returns true.
template <typename F>
bool any_key(std::string_view list, F&& f) {
  while (!list.empty()) {
    const size_t end = std::min(list.find(' '), list.size());
    if (end > 0 && f(list.substr(0, end))) return true;
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return false;
}

bool name_fits(const SectionSpec& spec, std::string_view word, bool has_name) {
  const bool plain_ok = spec.naming == kPlain || spec.naming == kPlainOrNamed;
  const bool named_ok = spec.naming == kNamed || spec.naming == kPlainOrNamed;
  if (word == spec.name) return has_name ? named_ok : plain_ok;
  // [extruder1], [stepper_z1]: the name followed by digits, with no NAME after it.
  if (spec.naming != kNumbered || has_name || !word.starts_with(spec.name) || word.size() == spec.name.size()) {
    return false;
  }
  return std::all_of(word.begin() + static_cast<std::ptrdiff_t>(spec.name.size()), word.end(), is_digit);
}

}  // namespace

std::span<const SectionSpec> section_specs() { return kSpecs; }

const SectionSpec* find_section_spec(std::string_view section_name) {
  const size_t space = section_name.find(' ');
  const std::string_view word = section_name.substr(0, space);
  const bool has_name = space != std::string_view::npos;
  for (const SectionSpec& spec : kSpecs) {
    if (name_fits(spec, word, has_name)) return &spec;
  }
  return nullptr;
}

bool list_has_key(std::string_view list, std::string_view key) {
  return any_key(list, [&](std::string_view k) { return is_pattern(k) ? matches(k, key) : k == key; });
}

bool has_key(const SectionSpec& spec, std::string_view key) {
  return std::any_of(spec.keys.begin(), spec.keys.end(),
                     [&](std::string_view list) { return list_has_key(list, key); });
}

std::vector<std::string_view> plain_keys(const SectionSpec& spec) {
  std::vector<std::string_view> out;
  for (const std::string_view list : spec.keys) {
    any_key(list, [&](std::string_view k) {
      if (!is_pattern(k)) out.push_back(k);
      return false;
    });
  }
  return out;
}

const RemovedKey* find_removed_key(const SectionSpec& spec, std::string_view key) {
  for (const RemovedKey& r : kRemoved) {
    if (r.section == spec.name && list_has_key(r.key, key)) return &r;
  }
  return nullptr;
}

}  // namespace rtstep::config
