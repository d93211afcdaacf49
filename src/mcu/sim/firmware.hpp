#pragma once
// SimFirmware: the firmware side of Klipper's MCU protocol, written for rtstep's tests and for trying a
// configuration without a board. It is what `rtstep-mcu-sim` runs behind its pseudo-terminal.
//
// It builds its own data dictionary (message formats as current Klipper firmware declares them, ids of
// its own choosing: shuffled by a seed, so no host can rely on fixed ids) and serves it zlib-compressed
// through identify. It keeps the firmware's transport rules (ack after each dispatched block, a nak for a
// corrupt or out-of-sequence block), its configuration rules (allocate_oids, config_*, finalize_config
// with a CRC, get_config) and its shutdown rules (a shutdown message with a static string id, then
// is_shutdown for every command not allowed in shutdown), and it executes:
//   steppers      queue_step / set_next_step_dir / reset_step_clock; every step is recorded at its clock
//                 when the clock passes it (a trsync trigger stops the steps not yet taken, and queue_step
//                 is ignored until the next reset_step_clock, as the firmware does); move slots
//                 are counted ("Move queue overflow") and a step scheduled in the past shuts down
//   digital out   queue_digital_out with set_digital_out_pwm_cycle and max_duration, as the firmware
//                 enforces it ("Missed scheduling of next digital out event"); config_pwm_out /
//                 queue_pwm_out (hardware PWM, duty of PWM_MAX recorded as the output's on_ticks)
//   analog in     query_analog_in with the batched report (values=%*s, little-endian u16 sums), or the
//                 single-value report of older firmware (legacy_adc), range checks ("ADC out of range" after
//                 range_check_count sums in a row outside the limits; the ones before are reported)
//   heaters       an analog pin may read the thermistor of a heater model (thermal::SimPlant, the sim
//                 backend's two-node model) heated by one of the board's own output pins at its duty: a
//                 closed loop through the board (FirmwareOptions::heaters)
//   endstops      endstop_home sampling a pin that a stepper's position drives, trsync objects
//
// Time is the MCU clock, 64-bit ticks, given by the caller. Not thread-safe: one owner. Non-real-time.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mcu/dictionary.hpp"
#include "mcu/framing.hpp"
#include "thermal/sensors.hpp"
#include "thermal/sim_plant.hpp"

namespace rtstep::mcu::sim {

struct FirmwareOptions {
  double clock_hz = 72'000'000;
  uint32_t move_count = 512;      // move queue slots (queue_step and queue_digital_out each take one)
  uint32_t id_seed = 1;           // shuffles the message ids; 0 keeps them in declaration order
  std::set<std::string> omit;     // commands left out of the dictionary (a firmware built without them)
  bool legacy_adc = false;        // the ADC formats before 2026: no bytes_per_report, one value per report
  std::map<std::string, uint16_t> adc_raw;  // pin -> raw ADC reading (0..ADC_MAX); others read 2048
  // pin -> (step pin of a stepper, position): the pin reads 1 while that stepper is at or below the position.
  std::map<std::string, std::pair<std::string, int64_t>> endstops;
  // Heater models: `adc_pin` reads the thermistor (EPCOS 100K B57560G104F on a 4700 ohm pull-up, Klipper's
  // defaults) of a plant whose heater power follows the duty of output pin `heater_pin` (its high time).
  struct HeaterModel {
    std::string adc_pin, heater_pin;
    thermal::SimHeaterConfig plant;
  };
  std::vector<HeaterModel> heaters;
};

// What the firmware did, for the test that drives it (written to the record file by the simulator).
struct StepRecord {
  uint64_t clock;  // MCU clock of the step
  uint8_t oid;
  uint8_t dir;
  uint32_t boot;   // restarts before it (the clock starts again at each)
};
struct OutputRecord {
  uint64_t clock;
  uint8_t oid;
  uint32_t on_ticks;  // 0 off, cycle_ticks (or more) fully on; an on/off output: 1 on
};

class SimFirmware {
 public:
  explicit SimFirmware(FirmwareOptions options);

  // Bytes from the host at MCU clock `now`; returns the bytes to send back.
  std::vector<uint8_t> receive(std::span<const uint8_t> bytes, uint64_t now);
  // Runs everything due up to `now` (steps, outputs, ADC reports, endstop samples, timeouts); returns
  // bytes to send.
  std::vector<uint8_t> advance(uint64_t now);
  // The next clock advance() has work at (or UINT64_MAX). Steps are not events: they are taken at any later
  // advance() with their own clocks, so the simulator need not wake for each.
  uint64_t next_event() const;
  // A restart: all state cleared, the clock starting again at 0 (the caller's), "starting" sent.
  std::vector<uint8_t> restart();

  const Dictionary& dictionary() const noexcept { return dictionary_; }
  const std::string& dictionary_json() const noexcept { return json_; }
  const std::vector<StepRecord>& steps() const noexcept { return steps_; }
  const std::vector<OutputRecord>& outputs() const noexcept { return outputs_; }
  const std::vector<std::string>& shutdowns() const noexcept { return shutdowns_; }
  int restarts() const noexcept { return restarts_; }
  uint64_t naks_sent() const noexcept { return naks_; }
  uint32_t config_crc() const noexcept { return config_crc_; }
  bool configured() const noexcept { return is_config_; }
  // Per stepper oid: its step pin, steps taken and position (+1 per step with dir 1, -1 with dir 0).
  struct StepperSummary {
    uint8_t oid;
    std::string step_pin;
    uint64_t steps;
    int64_t position;
  };
  std::vector<StepperSummary> steppers() const;
  // A pending restart requested by the host's `reset` command (the simulator restarts after replying).
  bool take_reset_request() noexcept { return std::exchange(reset_requested_, false); }
  // The output pin of an object (oid), for the record ("" for another kind).
  std::string output_pin(uint8_t oid) const;
  // Every heater model's sensor reads shorted (ADC 0, far above any max_temp) from now on: an injected fault.
  void short_heater_sensors() noexcept { sensors_shorted_ = true; }
  // Per heater model: its sensor temperature now (C).
  std::vector<double> heater_temperatures() const;

 private:
  // One configured object (oid). A plain tagged record: each kind uses its own fields.
  struct Object {
    enum class Kind : uint8_t { kNone, kStepper, kDigitalOut, kAnalogIn, kEndstop, kTrsync } kind = Kind::kNone;
    std::string pin;  // step pin, output pin, ADC pin or endstop pin
    // stepper
    uint64_t last_clock = 0;  // the last step scheduled (or reset_step_clock)
    uint8_t next_dir = 0;
    int64_t position = 0;
    uint64_t steps_taken = 0;
    std::deque<StepRecord> pending;  // scheduled, not yet taken
    std::deque<uint64_t> loads;      // clocks its queued moves load at (each holds a move slot until then)
    int stop_trsync = -1;            // stepper_stop_on_trigger
    bool need_reset = false;         // stopped by a trsync: queue_step is ignored until reset_step_clock
    // digital out
    uint8_t value = 0, default_value = 0;
    uint32_t max_duration = 0, cycle_ticks = 0;
    double duty = 0;  // the pin's high time per cycle now (0..1)
    std::deque<OutputRecord> events;  // queued, not yet applied
    uint64_t end_time = 0;            // non-zero: the next event must come by then
    // analog in
    uint64_t next_begin = 0;
    uint32_t sample_ticks = 0, rest_ticks = 0;
    uint8_t sample_count = 0, bytes_per_report = 0, range_check_count = 0, invalid_count = 0;
    uint16_t min_value = 0, max_value = 0;
    std::string data;
    // endstop
    bool homing = false;
    uint8_t target_value = 0, trsync_oid = 0, trigger_reason = 0;
    // trsync
    bool can_trigger = false;
    uint8_t reason = 0, expire_reason = 0;
    uint64_t expire_clock = 0, trigger_clock = 0;
  };

  void build_dictionary();
  // Handlers append their responses to `out`, one block per message as the firmware sends them.
  void dispatch(const Message& m, std::vector<uint8_t>& out);
  bool dispatch_base(const Message& m, std::vector<uint8_t>& out);
  bool dispatch_config(const Message& m, std::vector<uint8_t>& out);
  bool dispatch_stepper(const Message& m, std::vector<uint8_t>& out);
  bool dispatch_output(const Message& m, std::vector<uint8_t>& out);
  bool dispatch_homing(const Message& m, std::vector<uint8_t>& out);
  void respond(std::vector<uint8_t>& out, std::string_view name, std::initializer_list<Value> values) const;
  // Shuts down at MCU clock `at` (0: now), as the firmware would have at that moment.
  void shutdown(const std::string& reason, std::vector<uint8_t>& out, uint64_t at = 0);
  bool take_move_slot(Object& o, uint64_t load_clock, std::vector<uint8_t>& out);
  uint64_t extend(uint64_t clock32) const noexcept;
  void run_steps_until(uint64_t clock);
  void run_outputs_until(uint64_t clock, std::vector<uint8_t>& out);
  void run_adcs_until(uint64_t clock, std::vector<uint8_t>& out);
  void run_heaters_until(uint64_t clock);
  uint16_t adc_sample(const std::string& pin);  // one raw reading of an analog pin now
  void run_endstops_until(uint64_t clock, std::vector<uint8_t>& out);
  void trigger(std::size_t trsync_oid, uint8_t reason, uint64_t clock, std::vector<uint8_t>& out);
  uint8_t pin_value(const std::string& pin) const;
  // The object named by the integer field `field`, when it exists and is of `kind`; else a shutdown.
  Object* object(const Message& m, Object::Kind kind, std::vector<uint8_t>& out, std::string_view field = "oid");

  FirmwareOptions options_;
  std::string json_;
  Dictionary dictionary_;
  std::vector<uint8_t> compressed_;
  std::map<std::string, uint16_t, std::less<>> static_strings_;

  BlockParser parser_;
  uint64_t parser_errors_ = 0;
  uint8_t expected_seq_ = 0;
  uint64_t now_ = 0;
  uint64_t naks_ = 0;

  std::vector<Object> objects_;
  bool oids_allocated_ = false, is_config_ = false;
  uint32_t config_crc_ = 0;
  std::optional<std::string> shutdown_reason_;
  bool reset_requested_ = false;

  // The heater models (FirmwareOptions::heaters): they keep their heat across restarts of the firmware.
  std::vector<thermal::SimPlant> plants_;
  std::vector<thermal::AdcConverter> plant_sensors_;
  uint64_t plant_clock_ = 0;  // the clock the plants have run to (this boot)
  int64_t plant_ns_ = 0;      // time the plants have run (all boots)
  bool sensors_shorted_ = false;

  std::vector<StepRecord> steps_;
  std::vector<OutputRecord> outputs_;
  std::vector<std::string> shutdowns_;
  int restarts_ = 0;
};

}  // namespace rtstep::mcu::sim
