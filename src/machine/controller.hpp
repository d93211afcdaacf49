#pragma once
// machine::Controller — the machine controller of DESIGN.md §1 (`rtstep serve`): it owns the configuration,
// the motion session (ring, embedded executor, host pipeline), the heaters, sensors and fans, the print job
// (Klipper's virtual_sdcard) and the status objects, all on ONE owner thread running an event loop.
//
// Threads. Every public function may be called from any thread and returns at once: it posts the work to
// the owner thread, and the answer comes back through the callback handed in, called on the owner thread
// (the caller's callback must not block; api:: posts it onto its own thread). emergency_stop() acts before it
// posts. Status queries are answered between two commands, and also while a command waits (for the lead,
// for a heater, for the motion to end), so a front end sees the machine's state during a long move.
//
// Commands. A script (one or more G-code lines) runs as one console command: while a print job runs, after
// the job's current line, as in Klipper. A line is a controller command (M105, M115, M400, PAUSE,
// SDCARD_PRINT_FILE, M104, ... see docs/gcode.md), or a motion command for the toolhead. An error ends the
// script (the lines after it do not run) and is its answer; a console error never stops a running print.
//
// State (webhooks.state): "startup" until the executor runs, "ready", "shutdown" after M112, an emergency
// stop, a thermal fault or an executor fault (underrun, bunched steps, executor lost), "error" when the
// configuration cannot be loaded. While not ready only M112, RESTART, FIRMWARE_RESTART, STATUS and HELP
// run; anything else fails with the state message. RESTART and FIRMWARE_RESTART reload printer.cfg and
// start a new motion session (the axes are then unhomed) without restarting the process.
//
// Safety. Every path out of "ready" turns every heater off at once; destroying the controller ends the
// motion session (the executor finishes what was sent: at most one lead, [rt] buffer_time) and leaves every
// heater off.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipc/ipc.hpp"
#include "machine/motion_session.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

struct ControllerOptions {
  std::string config_path;
  bool virtual_clock = false;    // the executor runs without waiting (verification, tests)
  std::string backend = "sim";   // sim, gpiod, rpi4, rpi5 or auto
  std::string sdcard_path;       // the print-job folder; "" = [virtual_sdcard] path, else none
  std::string log_path;          // shown in `info` (the log itself is the caller's)
  bool mcu = false;              // drive the [mcu] boards the steppers' pins name (MotionOptions::mcu)
  std::string who = "rtstep serve";  // names the command in notes ("rtstep run: ...")
  std::string trace_path;        // MotionOptions::trace_path
  // Split mode: the ring of a running `rtstep rt` (MotionOptions::connect). Null: embedded.
  std::function<Result<ipc::SegmentRing>()> connect;
};

// How a job of run_file() ended.
struct JobEnd {
  enum class Why {
    kComplete,   // the file ran to its end and its motion ran out
    kConfig,     // printer.cfg could not be loaded (the controller is in state "error")
    kStartup,    // the machine could not start: ring, pins, executor, boards, thread placement
    kInput,      // the G-code file cannot be opened
    kLine,       // a line failed (G-code, motion, macro error): message names file and line
    kCount,      // every line ran, but a stepper's count differs from the plan (sim backend)
    kShutdown,   // emergency stop, executor fault, thermal fault: the controller is in state "shutdown"
    kCancelled,  // CANCEL_PRINT, SIGTERM (stop()): the rest of the file was not run
  };
  Why why = Why::kComplete;
  std::string message;
  std::vector<std::string> ignored_commands;  // commands the file used that rtstep does not know, once each
  std::string backend;  // the GPIO backend chosen for the pins ("" when printer.cfg did not load)
};

// The running job as a progress line shows it. Any thread.
struct JobProgress {
  uint64_t file_bytes = 0, file_size = 0;
  MotionProgress motion;
};

// What one script did.
struct ScriptOutcome {
  bool ok = true;
  std::string error;                // when !ok; possibly several lines
  std::string ack;                  // text after the printer terminal's "ok " (M105, M115); "" = plain "ok"
  std::vector<std::string> output;  // lines it printed (also sent to every output listener)
};

// Which fields of which status objects: name -> field names, or nullopt for every field.
using StatusRequest = std::map<std::string, std::optional<std::vector<std::string>>>;

struct ControllerHooks {
  // webhooks.state changed (any of the states above), with its message. Owner thread.
  std::function<void(const std::string& state, const std::string& message)> on_state;
  // RESTART / FIRMWARE_RESTART: the front ends close every client (Klipper re-creates its socket). Owner thread.
  std::function<void()> on_restart;
  // Where the controller's own notes go (shutdown reasons, warnings). Owner thread. Default: stderr.
  std::function<void(const std::string& line)> log;
};

class Controller {
 public:
  // Loads the configuration and starts the owner thread, which starts the motion session. A configuration
  // that cannot be loaded is not an error here: the controller then stays in state "error" with the message
  // (as Klipper, so front ends can show it and RESTART can retry). Errors: the thread cannot start.
  static Result<std::unique_ptr<Controller>> create(ControllerOptions options, ControllerHooks hooks);
  ~Controller();  // stop() then joins
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  void run_script(std::string script, std::function<void(ScriptOutcome)> done);
  // Status objects by Klipper's names; objects the controller does not have are left out.
  void query_status(StatusRequest request, std::function<void(nlohmann::json)> done);
  // Endpoints beside the G-code ones (endpoints()): pause_resume/pause|resume|cancel, gcode/help.
  void call_endpoint(std::string method, nlohmann::json params, std::function<void(Result<nlohmann::json>)> done);
  // `rtstep run`: the G-code at `path` ("/dev/stdin" included: it is read as it arrives, and while it pauses
  // the motion sent runs to a stop instead of running out) runs as the print job, as SDCARD_PRINT_FILE runs a
  // file of the virtual SD card: macros, heaters, extras, PAUSE/RESUME, print_stats. Lines that rtstep does not
  // know are reported once each ("file:line: note: ..."). done() on the owner thread once the job has ended
  // and its motion has run out (or the controller never became ready).
  void run_file(std::string path, std::function<void(JobEnd)> done);
  JobProgress job_progress() const;
  // Places the calling thread as rtstep-log in the machine's [rt] hierarchy (a progress display). Returns
  // a warning when something was refused, else "".
  std::string place_as_log() const;
  // After wait_stopped(): what the last motion session did (nullopt: none started).
  std::optional<MotionAccount> motion_account() const;

  // M112 / emergency_stop: stops the executor and turns the heaters off now, then reports on the owner thread.
  void emergency_stop(std::string reason);

  // Every G-code output line ("// ..." information, "!! ..." errors, M118 text) from now on goes to `listener`
  // until remove_output_listener(id). Called on the owner thread.
  void add_output_listener(uint64_t id, std::function<void(const std::string& line)> listener);
  void remove_output_listener(uint64_t id);
  // A front end serves `method` (Klipper's register_remote_method); macros call it through action_call_remote_method.
  void register_remote_method(uint64_t id, std::string method, std::function<void(nlohmann::json params)> call);

  // SIGTERM: stop reading the print job, let the motion sent run out (at most one lead), turn every heater
  // off, end the motion session and the loop. wait_stopped() returns once that is done.
  void stop();
  void wait_stopped();

  // Names for the front ends' `list_endpoints` and `objects/list` (fixed at create()).
  static std::vector<std::string> endpoints();
  std::vector<std::string> object_names() const;

  struct Impl;  // controller_impl.hpp

 private:
  explicit Controller(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rtstep::machine
