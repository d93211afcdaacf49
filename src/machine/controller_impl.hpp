#pragma once
// The controller's inside (controller.hpp), shared by controller.cpp (lifecycle, loop, posting),
// controller_commands.cpp (the G-code the controller handles itself) and controller_status.cpp (status
// objects). Not a public header.

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
#include "machine/controller.hpp"
#include "machine/motion_session.hpp"
#include "machine/print_job.hpp"
#include "machine/thermal_link.hpp"
#include "motion/motion.hpp"

namespace rtstep::machine {

// The sections of printer.cfg the controller reads itself.
struct ServeSettings {
  std::string sdcard_path;         // [virtual_sdcard] path
  double idle_timeout_s = 600;     // [idle_timeout] timeout
  double recover_velocity = 50;    // [pause_resume] recover_velocity, mm/s
};

// Where PAUSE left the G-code state, for RESUME (Klipper's SAVE_GCODE_STATE / RESTORE_GCODE_STATE MOVE=1).
struct SavedState {
  motion::Coord gcode_position{};
  bool relative = false, relative_e = false;
  double feed_rate = 0;
};

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

  // --- Owner thread only ----------------------------------------------------------------------------------
  std::thread thread;
  config::RawConfig raw;
  std::optional<config::MachineConfig> machine;
  std::optional<motion::Kinematics> kinematics;
  ServeSettings settings;
  std::unique_ptr<gpio::Backend> hardware_pins;
  std::unique_ptr<MotionSession> motion;
  std::unique_ptr<ThermalLink> thermal;
  std::unique_ptr<PrintJob> job;
  std::string state = "startup";
  std::string state_message = "rtstep is starting";
  std::optional<SavedState> pause_state;
  std::string display_message;
  std::map<uint64_t, std::function<void(const std::string&)>> listeners;
  std::map<std::string, std::pair<uint64_t, std::function<void(nlohmann::json)>>> remote_methods;
  std::vector<std::string>* capture = nullptr;  // output of the running script
  int64_t last_busy_ns = 0;                      // idle timeout: the last time something ran
  bool idle_timed_out = false;
  int64_t next_tick_ns = 0;
  int64_t started_ns = 0;

  // controller.cpp
  void loop();
  void start_machine();
  void end_machine();
  void serve_background();  // queries, heaters, idle timeout, faults: also while a command waits
  bool wait_until(const std::function<bool()>& done, const std::string& what, Status& error);
  void enter_shutdown(const std::string& reason);
  void set_state(const std::string& state, const std::string& message);
  void respond(const std::string& line);  // to the listeners and the running script's output
  void note(const std::string& line);     // the log
  ScriptOutcome run_script(const std::string& script);
  void run_job_line();
  bool job_runnable() const { return job && job->printing() && state == "ready"; }
  double now_s() const;

  // controller_commands.cpp
  LineOutcome run_line(std::string_view text, uint32_t number, const std::string& source);
  // The controller's own command `name`, if it is one (nullopt: give the line to the toolhead).
  std::optional<LineOutcome> run_own_command(std::string_view name, std::string_view text, const gcode::Command& cmd);
  Status pause_print();
  Status resume_print();
  Status cancel_print();
  Status start_print(const std::string& filename);
  void finish_job(const std::string& state, const std::string& message);

  // controller_status.cpp
  nlohmann::json status(const StatusRequest& request);
  std::vector<std::string> names_of_objects() const;
};


}  // namespace rtstep::machine
