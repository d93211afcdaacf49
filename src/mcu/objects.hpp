#pragma once
// The objects rtstep configures on an MCU, and the configuration it sends for them.
//
// A board is configured once per boot, as Klipper's host does it: `allocate_oids`, one `config_*` command
// per object, then `finalize_config crc=` with the CRC-32 (zlib's) of those command texts joined by
// newlines. The MCU keeps the CRC; a host that connects to a board already configured with the same text
// goes on without configuring again, and one whose text differs must restart the board first.
//
// Object ids: steppers first (oid = index), then digital outputs, then analog inputs, then each endstop
// followed by its trsync, in the order given.
// Every command is checked against the MCU's dictionary (build_config), so a firmware that lacks one is
// refused with its name before anything is sent.
//
// Plain values; everything here is non-real-time (the link's thread, at connect time).

#include <cstdint>
#include <string>
#include <vector>

#include "mcu/dictionary.hpp"
#include "util/result.hpp"

namespace rtstep::mcu {

struct StepperSpec {
  std::string name;             // for messages ("stepper_x")
  std::string step_pin, dir_pin;  // MCU pin names ("PA0"), as the dictionary's "pin" enumeration has them
  bool invert_step = false;
  bool invert_dir = false;      // applied by the host to every set_next_step_dir, as Klipper's host does
  int64_t step_pulse_ns = 2'000;
};

// A digital output: on/off (cycle_ns 0: enable pins) or PWM with a cycle (heaters, fans), in software or,
// for a hardware_pwm pin, by the MCU's PWM unit.
// `max_duration_ns`: the MCU shuts down when an output left on (or pulsing) is not renewed within it
// (0: no limit). Values are 0..1 of the cycle; `invert` flips the pin.
struct DigitalOutSpec {
  std::string name;
  std::string pin;
  bool invert = false;
  double start_value = 0, shutdown_value = 0;  // 0 or 1
  int64_t max_duration_ns = 0;
  int64_t cycle_ns = 0;
  // A pin with a hardware PWM channel: config_pwm_out / queue_pwm_out (values of PWM_MAX) when the firmware
  // has them, else the software PWM above.
  bool hardware_pwm = false;
};

// An analog input sampled by the MCU: `sample_count` samples `sample_ns` apart, one sum every `report_ns`,
// `batch` sums per report message (the batched report; older firmware sends one value per message).
// Readings are normalised to 0..1 of ADC_MAX; outside [min_value, max_value] for `range_check_count`
// reports in a row the MCU shuts down ("ADC out of range"); range_check_count 0 disables the check.
struct AdcSpec {
  std::string name;
  std::string pin;
  int64_t sample_ns = 1'000'000;
  uint8_t sample_count = 8;
  int64_t report_ns = 300'000'000;
  uint8_t batch = 1;
  double min_value = 0, max_value = 1;
  uint8_t range_check_count = 0;
};

// An endstop switch for homing. Each gets a trsync object of its own (oid after the endstop's) that stops
// the steppers of a homing move when the switch triggers.
struct EndstopSpec {
  std::string name;
  std::string pin;
  bool pull_up = false;
  bool invert = false;  // triggered at a low level
};

struct McuObjects {
  std::vector<StepperSpec> steppers;
  std::vector<DigitalOutSpec> digital_outs;
  std::vector<AdcSpec> adcs;
  std::vector<EndstopSpec> endstops;

  uint8_t stepper_oid(std::size_t i) const { return static_cast<uint8_t>(i); }
  uint8_t digital_out_oid(std::size_t i) const { return static_cast<uint8_t>(steppers.size() + i); }
  uint8_t adc_oid(std::size_t i) const { return static_cast<uint8_t>(steppers.size() + digital_outs.size() + i); }
  uint8_t endstop_oid(std::size_t i) const { return static_cast<uint8_t>(steppers.size() + digital_outs.size() + adcs.size() + 2 * i); }
  uint8_t trsync_oid(std::size_t i) const { return static_cast<uint8_t>(endstop_oid(i) + 1); }
  std::size_t oid_count() const { return steppers.size() + digital_outs.size() + adcs.size() + 2 * endstops.size(); }
};

// The configuration text for one MCU.
struct ConfigPlan {
  std::vector<std::string> commands;  // allocate_oids and the config_* commands, as text
  uint32_t crc = 0;                   // sent with finalize_config
  bool batched_adc = false;           // the firmware's query_analog_in takes bytes_per_report
  std::vector<bool> pwm_out;          // per digital output: configured with config_pwm_out
  double pwm_max = 0;                 // the firmware's PWM_MAX (with any pwm_out)
};

// Ticks of `ns` at `hz`, rounded to nearest.
uint32_t ticks_of(int64_t ns, double hz);

// Builds the configuration for `objects` with `dictionary`'s commands and constants (CLOCK_FREQ, ADC_MAX).
// Errors name the object ("stepper_x: MCU has no pin 'PZ9'") or the missing command.
Result<ConfigPlan> build_config(const Dictionary& dictionary, const McuObjects& objects);

// zlib's CRC-32 of the commands joined by '\n', as finalize_config carries it.
uint32_t config_crc(const std::vector<std::string>& commands);

}  // namespace rtstep::mcu
