#pragma once
// The controller's inside (controller.hpp), shared by controller.cpp (lifecycle, loop, posting),
// controller_run.cpp (run_file jobs), controller_commands.cpp (the G-code the controller handles itself)
// and controller_status.cpp (status objects). Not a public header.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "gcode/gcode.hpp"
#include "gpio/gpio.hpp"
#include "macro/definitions.hpp"
#include "macro/runner.hpp"
#include "machine/controller.hpp"
#include "machine/gcode_input.hpp"
#include "machine/motion_session.hpp"
#include "machine/print_job.hpp"
#include "machine/thermal_link.hpp"
#include "motion/motion.hpp"
#include "rt/hierarchy.hpp"

namespace rtstep::machine {

// The sections of printer.cfg the controller reads itself.
struct ServeSettings {
  std::string sdcard_path;         // [virtual_sdcard] path
  double idle_timeout_s = 600;     // [idle_timeout] timeout
  double recover_velocity = 50;    // [pause_resume] recover_velocity, mm/s
  std::string respond_type = "echo";  // [respond] default_type: echo, command or error
  std::string respond_prefix;          // [respond] default_prefix; "" = the type's ("echo:", "//", "!!")
};

// Where PAUSE left the G-code state, for RESUME (Klipper's SAVE_GCODE_STATE / RESTORE_GCODE_STATE MOVE=1).
struct SavedState {
  motion::Coord gcode_position{};
  bool relative = false, relative_e = false;
  double feed_rate = 0;
};

// [gcode_macro], [delayed_gcode] and [idle_timeout] gcode, as loaded from printer.cfg (controller_macros.cpp).
struct MacroState {
  macro::MacroDefinition definition;
  macro::Value variables;  // SET_GCODE_VARIABLE changes them; printer["gcode_macro NAME"] shows them
};
struct DelayedGcode {
  macro::DelayedGcodeDefinition definition;
  int64_t due_ns = 0;  // monotonic time it runs at; 0 = not scheduled
};
struct Macros {
  std::map<std::string, MacroState> by_name;   // upper-cased command -> macro
  std::map<std::string, std::string> renamed;  // rename_existing: "BASE_G28" -> "G28", the built-in it keeps callable
  std::vector<std::string> running;            // the macros being rendered or run now (recursion check)
  std::vector<DelayedGcode> delayed;
  std::optional<macro::Template> idle_gcode;   // [idle_timeout] gcode; Klipper's default when absent
  // printer.configfile for templates: built once per configuration (it is most of a printer snapshot's cost).
  std::optional<macro::Value> configfile;
};

// [safe_z_home], [homing_override], [firmware_retraction], [save_variables], [exclude_object]
// (controller_extras.cpp).
struct Extras {
  struct SafeZHome {
    double x = 0, y = 0, speed = 50, z_hop = 0, z_hop_speed = 15;
    bool move_to_previous = false;
  };
  struct HomingOverride {
    macro::Template gcode;
    std::string axes = "xyz";
  };
  struct Retraction {
    double retract_length = 0, retract_speed = 20, unretract_extra_length = 0, unretract_speed = 10;
    bool retracted = false;
  };
  std::optional<SafeZHome> safe_z_home;
  std::optional<HomingOverride> homing_override;
  int homing_depth = 0;  // > 0 while one of them runs: its own G28 is the plain one
  std::optional<Retraction> retraction;
  std::string variables_file;  // [save_variables] filename; "" = none
  macro::Value saved_variables = macro::Value::dict();
  bool exclude_object = false;
  std::vector<nlohmann::json> objects;  // EXCLUDE_OBJECT_DEFINE: name, center, polygon
  std::vector<std::string> excluded;
  std::string current_object;
};

// A macro value as JSON (status objects, remote method arguments).
nlohmann::json macro_json(const macro::Value& value);

// A line's result inside a script.
struct LineOutcome {
  Status status = Ok{};
  std::string ack;
};

struct Controller::Impl {
  ControllerOptions options;
  ControllerHooks hooks;

  // --- Shared with the posting threads (under mu) ---------------------------------------------------------
  std::mutex mu;
  std::condition_variable wake;
  std::deque<std::function<void()>> commands;  // in order, one at a time
  std::deque<std::function<void()>> queries;   // read-only or urgent: also served while a command waits
  bool stopping = false;
  bool stopped = false;
  std::condition_variable stopped_cv;
  std::vector<std::string> object_names;
  // Any thread may stop the motion at once (emergency_stop): the session pointer is guarded by motion_mu.
  std::mutex motion_mu;
  // A print job is running (set by the owner thread): PAUSE, CANCEL_PRINT and SIGTERM posted meanwhile
  // interrupt its motion at once (MotionSession::interrupt), so that it stops within the lead.
  std::atomic<bool> print_running{false};
  std::atomic<bool> stop_requested{false};  // stop() was called: a motion session still starting gives up
  std::optional<MotionAccount> account;  // written by the owner thread before `stopped`, read after it
  std::optional<rt::Hierarchy> hierarchy;  // the [rt] hierarchy of the machine loaded last (place_as_log)

  // --- Owner thread only ----------------------------------------------------------------------------------
  std::thread thread;
  config::RawConfig raw;
  std::optional<config::MachineConfig> machine;
  std::optional<motion::Kinematics> kinematics;
  ServeSettings settings;
  std::unique_ptr<gpio::Backend> hardware_pins;
  gpio::BackendKind backend_kind = gpio::BackendKind::kSim;
  bool backend_chosen = false;  // start_machine() got as far as choosing it
  std::unique_ptr<MotionSession> motion;
  std::unique_ptr<ThermalLink> thermal;
  std::unique_ptr<PrintJob> job;
  std::string state = "startup";
  std::string state_message = "rtstep is starting";
  std::optional<SavedState> pause_state;
  std::map<std::string, SavedState> saved_states;  // SAVE_GCODE_STATE NAME=...
  Macros macros;
  Extras extras;
  std::string display_message;
  std::map<uint64_t, std::function<void(const std::string&)>> listeners;
  std::map<std::string, std::pair<uint64_t, std::function<void(nlohmann::json)>>> remote_methods;
  std::vector<std::string>* capture = nullptr;  // output of the running script
  int64_t last_busy_ns = 0;                      // idle timeout: the last time something ran
  bool idle_timed_out = false;
  int64_t next_tick_ns = 0;
  int64_t started_ns = 0;
  // run_file(): the job's caller waits for this; unknown commands are reported once per job.
  std::function<void(JobEnd)> job_done;
  std::vector<std::string> job_unknown;
  std::unique_ptr<InputWait> input_wait;  // of run_file() jobs
  std::atomic<uint64_t> job_position{0}, job_size{0};  // for job_progress() on any thread
  JobEnd::Why startup_failure = JobEnd::Why::kConfig;  // why start_machine() failed, when it did
  bool heat_waits_noted = false;  // the virtual clock's note that heaters are not waited for

  // controller.cpp
  void interrupt_print();  // any thread
  void loop();
  void start_machine();
  void end_machine();
  void serve_background();  // queries, heaters, idle timeout, faults: also while a command waits
  void push_soft_pwm();
  bool wait_until(const std::function<bool()>& done, const std::string& what, Status& error);
  void enter_shutdown(const std::string& reason);
  void set_state(const std::string& state, const std::string& message);
  void respond(const std::string& line);  // to the listeners and the running script's output
  void note(const std::string& line);     // the log
  ScriptOutcome run_script(const std::string& script);
  void run_job_line();
  std::string motion_fault();  // why the motion stopped ("" while it can move), else the state's message
  std::string backend_name() const;  // "" until chosen
  bool job_runnable() const { return job && job->printing() && state == "ready"; }
  double now_s() const;

  // controller_run.cpp
  Status start_file_job(const std::string& path);
  void end_job_for_caller(JobEnd::Why why, const std::string& message);  // job_done, once

  // controller_commands.cpp
  // A heater wait on the virtual clock, whose time is not the heaters': not waited for (noted once).
  bool skips_heat_wait(const std::string& what);
  // `builtin_only`: the line is a renamed built-in's call (rename_existing), so a macro of the same name
  // does not take it.
  LineOutcome run_line(std::string_view text, uint32_t number, const std::string& source, bool builtin_only = false);
  // The controller's own command `name`, if it is one (nullopt: give the line to the toolhead).
  std::optional<LineOutcome> run_own_command(std::string_view name, std::string_view text, const gcode::Command& cmd);
  Status pause_print();
  Status resume_print();
  Status cancel_print();
  Status start_print(const std::string& filename);
  Status begin_job();  // the selected file starts printing (SDCARD_PRINT_FILE, run_file)
  void finish_job(const std::string& state, const std::string& message);

  // controller_macros.cpp
  Status load_macros();
  // The macro (or renamed built-in) `text` calls, run; nullopt when the line calls neither.
  std::optional<LineOutcome> run_macro_line(std::string_view text, uint32_t number, const std::string& source);
  // SET_GCODE_VARIABLE, UPDATE_DELAYED_GCODE, SAVE_GCODE_STATE, RESTORE_GCODE_STATE.
  std::optional<LineOutcome> run_macro_command(std::string_view name, std::string_view text);
  // Posts every [delayed_gcode] that is due as a console command.
  void post_due_delayed_gcode(int64_t now);
  // Runs [idle_timeout] gcode (or Klipper's default: heaters off, motors released).
  void run_idle_gcode();
  macro::Value printer_value();
  macro::Actions macro_actions();
  Status run_rendered(const std::string& what, const std::vector<std::string>& lines, const std::string& source);
  std::optional<nlohmann::json> macro_status(const std::string& object_name) const;
  std::vector<std::pair<std::string, std::string>> macro_help() const;  // HELP and gcode/help: name, description

  // controller_extras.cpp
  Status load_extras();
  std::optional<LineOutcome> run_extra_command(std::string_view name, std::string_view text, const gcode::Command& cmd);
  Status run_safe_z_home(const gcode::Command& cmd);
  Status run_homing_override(std::string_view text, const gcode::Command& cmd);
  Status run_retraction(std::string_view name, std::string_view text);
  Status run_exclude_object(std::string_view name, std::string_view text);
  // A move inside an excluded object: true when it was taken care of (skipped), with `outcome` set.
  bool skips_excluded_move(const gcode::Command& cmd, Status& outcome);
  Status run_script_lines(const std::string& script, const std::string& source);
  std::optional<nlohmann::json> extras_status(const std::string& name) const;

  // controller_status.cpp
  nlohmann::json status(const StatusRequest& request);
  std::vector<std::string> names_of_objects() const;
};


// Queues `work` for the owner thread (commands in order; queries also while a command waits) and wakes it.
void post_to(Controller::Impl& impl, std::deque<std::function<void()>> Controller::Impl::*queue,
             std::function<void()> work);

}  // namespace rtstep::machine
