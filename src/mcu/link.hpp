#pragma once
// Link: one board flashed with Klipper's firmware, driven from its own thread.
//
// The thread owns the serial port and the Connection (connection.hpp): it reads, acknowledges and
// retransmits, keeps the clock synchronised (a get_clock about every second), and then:
//   configures   get_config; on an unconfigured board allocate_oids, the config_* commands for the
//                McuObjects and finalize_config with the CRC of their text (objects.hpp), then get_config
//                again; a board already configured with the same CRC is taken as it is; one configured
//                with another CRC needs a FIRMWARE_RESTART (firmware_restart()).
//   steps        StepSegments pushed by the controller become queue_step commands through each stepper's
//                StepperChannel, released through the MoveQueue as the board's move slots allow
//                (move_queue.hpp). Steps are compressed flush_lead_ns before the first of them is due (or at
//                flush()), so consecutive segments share commands.
//   outputs      set_output() schedules queue_digital_out (on/off, or software PWM on the configured cycle);
//                the board turns an output that is not renewed within its max_duration off by shutting down.
//                An output's updates take effect in the order given: one timed before the last one sent for
//                that output takes effect with it (the board runs each output's queue in order).
//   inputs       analog_in_state reports (batched or single) become AdcReadings, 0..1 of ADC_MAX, stamped
//                with the host time of the end of their sampling.
//   positions    query_positions() asks the board where each stepper is (stepper_get_position).
//   homing       home() arms an endstop and its trsync (trsync_start, stepper_stop_on_trigger,
//                trsync_set_timeout, endstop_home); the controller then pushes the homing move's segments as
//                usual. When the switch triggers, the board stops those steppers and discards their queue
//                until a reset_step_clock; the link drops what it still holds for them, asks their
//                positions (stepper_get_position) and reports a HomingResult.
//   faults       a shutdown of the board is reported with its text ("MCU 'mcu' shutdown: Timer too close"); an
//                "ADC out of range" names the input the board read out of range (its last reading outside
//                its limits, else the one nearest them: the board does not say) and sets adc_out_of_range;
//                a restart of the board (its "starting" message, the port going away, lost communication)
//                drops everything queued, reconnects and configures again; status().generation counts the
//                configured connections, so a controller sees that the board lost its queue.
// Everything comes from the board's data dictionary: message ids, formats, CLOCK_FREQ, ADC_MAX, pins; a
// firmware that lacks a command rtstep needs is refused with the command's name (phase kFailed).
//
// Times are CLOCK_MONOTONIC ns ("print time" is host time: a step segment's first_time_ns). Print time maps
// to the board's clock through a PrintClock (clock_sync.hpp) that follows each clock sample: re-aimed over
// a few seconds while steps are committed, set to the estimate outright while the steppers are idle.
// Thread safety: every public function may be called from any thread (they post to the link's thread
// or read a snapshot under a mutex); none blocks but wait_ready() and stop() (which joins the thread).
// Nothing here is real-time: the link's thread allocates, locks and makes system calls.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ipc/step_segment.hpp"
#include "mcu/objects.hpp"
#include "mcu/transmit.hpp"

namespace rtstep::mcu {

struct LinkOptions {
  std::string name = "mcu";   // as in [mcu] / [mcu NAME]; used in messages
  std::string serial;         // /dev/ttyUSB0, /dev/ttyACM0, /dev/serial/by-id/..., a pseudo-terminal
  uint32_t baud = 250'000;
  bool restart_by_command = true;                // FIRMWARE_RESTART sends the firmware's `reset` command
  int64_t max_step_error_ns = 25'000;            // how early a step may be (Klipper's bound)
  int64_t flush_lead_ns = 250'000'000;           // steps are compressed and sent this long before due
  int64_t min_output_lead_ns = 100'000'000;      // an output update is scheduled at least this far ahead
  int64_t reconnect_interval_ns = 500'000'000;   // between attempts to open the port
  int64_t stall_timeout_ns = 5'000'000'000;      // no answer to identify for this long: try again
};

enum class LinkPhase : uint8_t {
  kConnecting,   // opening the port, identifying, synchronising the clock
  kConfiguring,  // get_config / config commands
  kReady,        // configured: steps and outputs flow
  kShutdown,     // the board is shut down (message says why); firmware_restart() to recover
  kFailed,       // cannot go on (refused dictionary, configuration mismatch); message says why
  kStopped,
};
const char* phase_name(LinkPhase phase) noexcept;

struct AdcReading {
  std::size_t adc = 0;   // index in McuObjects::adcs
  int64_t time_ns = 0;   // host time at the end of the sampling
  double value = 0;      // 0..1 of ADC_MAX (the mean of the samples)
};

// A homing move's stop condition, armed by Link::home() before the move's segments are pushed.
struct HomingRequest {
  std::size_t endstop = 0;             // index in McuObjects::endstops
  std::vector<std::size_t> steppers;   // indices in McuObjects::steppers that stop when it triggers
  int64_t start_ns = 0;                // host time the switch is first sampled
  int64_t timeout_ns = 0;              // host time after which the homing ends untriggered
  int64_t sample_ns = 15'000;          // a trigger is sample_count readings sample_ns apart, all triggered
  uint8_t sample_count = 4;
  int64_t rest_ns = 100'000;           // between checks
};

struct HomingResult {
  bool triggered = false;          // false: the timeout came first, or the homing could not run (message)
  int64_t trigger_ns = 0;          // print time (host ns) the board saw the switch trigger
  std::vector<int64_t> positions;  // of each stepper of the request, in steps (dir 1 counts up)
  std::string message;
};

struct LinkStatus {
  LinkPhase phase = LinkPhase::kConnecting;
  std::string message;        // why not ready, or the last event ("MCU 'mcu' restarted")
  uint64_t generation = 0;    // configured connections so far
  int restarts = 0;           // board restarts seen (spontaneous or FIRMWARE_RESTART)
  std::string firmware_version, mcu_type;
  double nominal_hz = 0, fitted_hz = 0;
  uint32_t move_count = 0, config_crc = 0;
  bool configured_here = false;  // this host sent the configuration (false: the board had it already)
  uint64_t steps_sent = 0, queue_step_commands = 0, queue_step_bytes = 0;
  uint64_t steps_dropped = 0;  // pushed while not ready, or lost with a restart
  uint64_t steps_cancelled = 0;  // held for steppers a homing trigger stopped
  uint64_t steps_waiting = 0;  // pushed and not yet handed to the transport
  std::vector<uint64_t> stepper_steps_sent;  // steps_sent per stepper (index in McuObjects::steppers)
  TransmitStats transmit;
  uint64_t invalid_bytes = 0;  // discarded by the block parser
  uint64_t output_commands = 0, output_bytes = 0;  // queue_digital_out / queue_pwm_out queued, and their bytes
  uint64_t outputs_waiting = 0;                    // output updates queued and not yet handed to the transport
  uint64_t adc_reports = 0;                        // analog_in_state messages received
  // The shutdown was "ADC out of range": the input (index in McuObjects::adcs) it names.
  std::optional<std::size_t> adc_out_of_range;
};

class Link {
 public:
  Link(LinkOptions options, McuObjects objects);
  ~Link();  // stops the thread
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Starts the link's thread (init only; once).
  void start();
  // Stops the thread; nothing more is sent. Safe to call twice.
  void stop();

  // Blocks until the phase is kReady (true) or kFailed/kShutdown, or `timeout_ns` passes (false).
  bool wait_ready(int64_t timeout_ns) const;
  LinkStatus status() const;

  // Segments for steppers by their index in McuObjects::steppers, in time order per stepper. Dropped (and
  // counted) unless the link is ready.
  void push_segments(std::span<const ipc::StepSegment> segments);
  // Compresses and sends every queued step now (the end of a job) instead of flush_lead_ns before each.
  void flush();
  // Output `output` (index in McuObjects::digital_outs) takes `value` (0..1) at host time `print_ns`
  // (at least min_output_lead_ns from now).
  void set_output(std::size_t output, int64_t print_ns, double value);
  // The readings received since the last call, oldest first.
  std::vector<AdcReading> take_adc_readings();
  // Arms a homing (see HomingRequest); the result comes through take_homing_result().
  void home(HomingRequest request);
  // The result of the last homing, once it is complete (the trigger or timeout, and the positions).
  std::optional<HomingResult> take_homing_result();
  // Asks the board where every stepper is (stepper_get_position); the answer comes through take_positions().
  void query_positions();
  // The positions asked for, once the board has answered for every stepper: in steps (dir 1 counts up), by
  // index in McuObjects::steppers. nullopt until then; a connection that ends first answers nothing.
  std::optional<std::vector<int64_t>> take_positions();
  // FIRMWARE_RESTART: the board's `reset` command, then reconnect and configure again.
  void firmware_restart();
  // The board's emergency_stop (it shuts down at once).
  void emergency_stop();

 private:
  struct Posted {
    std::vector<ipc::StepSegment> segments;
    struct Output {
      std::size_t output;
      int64_t print_ns;
      double value;
    };
    std::vector<Output> outputs;
    std::vector<HomingRequest> homings;
    bool flush = false, restart = false, estop = false, positions = false;
  };
  class Session;

  void run();
  void post(const std::function<void(Posted&)>& add);
  Posted take_posted();
  void publish(const std::function<void(LinkStatus&)>& update);
  void sleep_for(int64_t ns);

  const LinkOptions options_;
  const McuObjects objects_;
  int wake_fd_ = -1;  // eventfd: posted work or stop
  std::thread thread_;

  mutable std::mutex posted_mutex_;  // guards posted_ and stop_
  Posted posted_;
  bool stop_ = false;

  mutable std::mutex status_mutex_;  // guards status_ and readings_
  mutable std::condition_variable status_changed_;
  LinkStatus status_;
  std::vector<AdcReading> readings_;
  std::optional<HomingResult> homing_result_;
  std::optional<std::vector<int64_t>> positions_;
};

}  // namespace rtstep::mcu
