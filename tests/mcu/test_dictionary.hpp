#pragma once
// A data dictionary for the mcu tests, written for them: the message formats of current Klipper firmware
// (src/basecmd.c, stepper.c, gpiocmds.c, adccmds.c with the batched ADC report), ids chosen to cover one-
// and two-byte and negative VLQ ids, STM32-style pin ranges and shutdown strings.

#include <string>

namespace rtstep::mcu::test {

inline const std::string kDictionaryJson = R"({
  "app": "Klipper",
  "version": "v0.13.0-test",
  "build_versions": "gcc: (test) 12 binutils: (test) 2.40",
  "license": "GNU GPLv3",
  "commands": {
    "identify offset=%u count=%c": 1,
    "get_uptime": 2,
    "get_clock": 3,
    "get_config": 4,
    "allocate_oids count=%c": 5,
    "finalize_config crc=%u": 6,
    "emergency_stop": 7,
    "clear_shutdown": 8,
    "config_stepper oid=%c step_pin=%c dir_pin=%c invert_step=%c step_pulse_ticks=%u": 20,
    "queue_step oid=%c interval=%u count=%hu add=%hi": 21,
    "set_next_step_dir oid=%c dir=%c": 22,
    "reset_step_clock oid=%c clock=%u": 23,
    "stepper_get_position oid=%c": 24,
    "config_digital_out oid=%c pin=%u value=%c default_value=%c max_duration=%u": 30,
    "queue_digital_out oid=%c clock=%u on_ticks=%u": 31,
    "config_analog_in oid=%c pin=%u": 140,
    "query_analog_in oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u bytes_per_report=%c min_value=%hu max_value=%hu range_check_count=%c": 141,
    "spi_send oid=%c data=%*s": -3
  },
  "responses": {
    "identify_response offset=%u data=%.*s": 0,
    "uptime high=%u clock=%u": 80,
    "clock clock=%u": 81,
    "config is_config=%c crc=%u is_shutdown=%c move_count=%hu": 82,
    "shutdown clock=%u static_string_id=%hu": 83,
    "is_shutdown static_string_id=%hu": 84,
    "stepper_position oid=%c pos=%i": 85,
    "analog_in_state oid=%c next_clock=%u values=%*s": 300,
    "starting": -10
  },
  "output": {
    "Stepper %c at %i (%s) 100%%": 90
  },
  "config": {
    "CLOCK_FREQ": 72000000,
    "MCU": "stm32f103xe",
    "ADC_MAX": 4095,
    "PWM_MAX": 255,
    "STEPPER_STEP_BOTH_EDGE": 1,
    "RECEIVE_WINDOW": 192,
    "SERIAL_BAUD": 250000,
    "STATS_SUMSQ_BASE": 256,
    "ADC_REFERENCE": 3.3
  },
  "enumerations": {
    "pin": {"PA0": [0, 16], "PB0": [16, 16], "PC13": 45, "gpio": [64, 4]},
    "static_string_id": {"Timer too close": 3, "Shutdown cleared when not shutdown": 2, "ADC out of range": 7}
  }
})";

}  // namespace rtstep::mcu::test
