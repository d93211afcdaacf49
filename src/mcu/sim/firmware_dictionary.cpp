// SimFirmware (firmware.hpp): its data dictionary — message formats as current Klipper firmware declares
// them, ids shuffled by a seed, constants, pin enumerations and static strings.

#include "mcu/sim/firmware.hpp"

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

namespace rtstep::mcu::sim {

namespace {

// Message formats as current Klipper firmware declares them (src/basecmd.c, stepper.c, gpiocmds.c,
// adccmds.c with the batched report, endstop.c, trsync.c); identify and identify_response keep the ids
// the protocol fixes.
const char* const kCommands[] = {
    "get_uptime",
    "get_clock",
    "get_config",
    "allocate_oids count=%c",
    "finalize_config crc=%u",
    "emergency_stop",
    "clear_shutdown",
    "reset",
    "config_stepper oid=%c step_pin=%c dir_pin=%c invert_step=%c step_pulse_ticks=%u",
    "queue_step oid=%c interval=%u count=%hu add=%hi",
    "set_next_step_dir oid=%c dir=%c",
    "reset_step_clock oid=%c clock=%u",
    "stepper_get_position oid=%c",
    "stepper_stop_on_trigger oid=%c trsync_oid=%c",
    "config_digital_out oid=%c pin=%u value=%c default_value=%c max_duration=%u",
    "set_digital_out_pwm_cycle oid=%c cycle_ticks=%u",
    "queue_digital_out oid=%c clock=%u on_ticks=%u",
    "config_pwm_out oid=%c pin=%u cycle_ticks=%u value=%hu default_value=%hu max_duration=%u",
    "queue_pwm_out oid=%c clock=%u value=%hu",
    "update_digital_out oid=%c value=%c",
    "config_analog_in oid=%c pin=%u",
    "query_analog_in oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u bytes_per_report=%c "
    "min_value=%hu max_value=%hu range_check_count=%c",
    "config_endstop oid=%c pin=%c pull_up=%c",
    "endstop_home oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u pin_value=%c trsync_oid=%c "
    "trigger_reason=%c",
    "endstop_query_state oid=%c",
    "config_trsync oid=%c",
    "trsync_start oid=%c report_clock=%u report_ticks=%u expire_reason=%c",
    "trsync_set_timeout oid=%c clock=%u",
    "trsync_trigger oid=%c reason=%c",
};
const char* const kResponses[] = {
    "starting",
    "uptime high=%u clock=%u",
    "clock clock=%u",
    "config is_config=%c crc=%u is_shutdown=%c move_count=%hu",
    "shutdown clock=%u static_string_id=%hu",
    "is_shutdown static_string_id=%hu",
    "stepper_position oid=%c pos=%i",
    "analog_in_state oid=%c next_clock=%u values=%*s",
    "endstop_state oid=%c homing=%c next_clock=%u pin_value=%c",
    "trsync_state oid=%c can_trigger=%c trigger_reason=%c clock=%u",
};
const char* const kShutdownStrings[] = {
    "Timer too close",
    "Move queue overflow",
    "Missed scheduling of next digital out event",
    "Scheduled digital out event will exceed max_duration",
    "ADC out of range",
    "Command request",
    "Invalid command",
    "Invalid oid type",
    "oids already allocated",
    "Already finalized",
    "Shutdown cleared when not shutdown",
    "Invalid analog_in bytes_per_report",
};

}  // namespace

// The dictionary JSON: message ids shuffled by the seed (2.. for commands, after them for responses).
void SimFirmware::build_dictionary() {
  using json = nlohmann::json;
  std::vector<std::string> commands, responses;
  for (const char* c : kCommands) {
    std::string f = c;
    if (options_.legacy_adc && f.rfind("query_analog_in ", 0) == 0) {
      f = "query_analog_in oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u min_value=%hu max_value=%hu "
          "range_check_count=%c";
    }
    if (options_.omit.count(f.substr(0, f.find(' '))) == 0) commands.push_back(f);
  }
  for (const char* r : kResponses) {
    const std::string f = r;
    responses.push_back(options_.legacy_adc && f.rfind("analog_in_state ", 0) == 0 ? "analog_in_state oid=%c next_clock=%u value=%hu" : f);
  }
  std::vector<int> ids(commands.size() + responses.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i) + 2;
  if (options_.id_seed != 0) std::shuffle(ids.begin(), ids.end(), std::mt19937(options_.id_seed));
  json doc;
  doc["app"] = "Klipper";
  doc["version"] = "rtstep-mcu-sim";
  doc["build_versions"] = "rtstep-mcu-sim";
  doc["commands"]["identify offset=%u count=%c"] = 1;
  doc["responses"]["identify_response offset=%u data=%.*s"] = 0;
  std::size_t next = 0;
  for (const auto& c : commands) doc["commands"][c] = ids[next++];
  for (const auto& r : responses) doc["responses"][r] = ids[next++];
  doc["config"] = {{"CLOCK_FREQ", static_cast<int64_t>(options_.clock_hz)},
                   {"MCU", "rtstep-sim"},
                   {"ADC_MAX", 4095},
                   {"PWM_MAX", 255},
                   {"STEPPER_STEP_BOTH_EDGE", 1},
                   {"RECEIVE_WINDOW", 192},
                   {"STATS_SUMSQ_BASE", 256}};
  doc["enumerations"]["pin"] = {{"PA0", {0, 16}}, {"PB0", {16, 16}}, {"PC0", {32, 16}}};
  uint16_t sid = 1;
  for (const char* s : kShutdownStrings) {
    doc["enumerations"]["static_string_id"][s] = sid;
    static_strings_[s] = sid++;
  }
  json_ = doc.dump();
  dictionary_ = Dictionary::parse_json(json_).value();  // built here: well formed
  compressed_ = deflate_zlib(json_);
}

}  // namespace rtstep::mcu::sim
