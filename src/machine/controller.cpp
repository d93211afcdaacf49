// Controller: lifecycle, the owner thread's loop and the posting side (see controller.hpp).
#include "machine/controller.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <iostream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "config/section_reader.hpp"
#include "config/text.hpp"
#include "machine/backend_choice.hpp"
#include "machine/controller_impl.hpp"
#include "machine/executor_side.hpp"
#include "rt/hierarchy_config.hpp"
#include "util/clock.hpp"

namespace rtstep::machine {
namespace {

constexpr int64_t kTickNs = 50'000'000;     // heaters, idle timeout and faults are looked at this often
constexpr int64_t kWaitPollNs = 5'000'000;  // a waiting command re-checks its condition this often

Result<ServeSettings> read_settings(const config::RawConfig& raw) {
  ServeSettings s;
  config::ErrorSink errors;
  if (const config::Section* section = raw.find("virtual_sdcard")) {
    config::SectionReader r(*section, errors);
    if (const config::Value* path = r.find_one_line("path")) s.sdcard_path = path->text;
    else r.fail_section("path is required");
    (void)r.find("on_error_gcode");
  }
  if (const config::Section* section = raw.find("idle_timeout")) {
    config::SectionReader r(*section, errors);
    s.idle_timeout_s = r.number("timeout", config::Range::positive(), 600.0);
  }
  if (const config::Section* section = raw.find("pause_resume")) {
    config::SectionReader r(*section, errors);
    s.recover_velocity = r.number("recover_velocity", config::Range::positive(), 50.0);
  }
  if (const config::Section* section = raw.find("respond")) {
    config::SectionReader r(*section, errors);
    if (const config::Value* type = r.find_one_line("default_type")) {
      s.respond_type = type->text;
      if (s.respond_type != "echo" && s.respond_type != "command" && s.respond_type != "error") {
        r.fail_expected("default_type", "echo, command or error");
      }
    }
    if (const config::Value* prefix = r.find_one_line("default_prefix")) s.respond_prefix = prefix->text;
  }
  if (errors.failed()) return errors.first();
  if (!s.sdcard_path.empty() && s.sdcard_path[0] == '~') {
    const char* home = std::getenv("HOME");
    s.sdcard_path = std::string(home != nullptr ? home : "") + s.sdcard_path.substr(1);
  }
  return s;
}

// The first command of a script, upper-cased: "pause" -> "PAUSE".
std::string first_word(const std::string& script) {
  const auto first = script.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto end = script.find_first_of(" \t\r\n;", first);
  return config::text::to_upper(script.substr(first, end == std::string::npos ? std::string::npos : end - first));
}

// A script that stops a running print: its motion is interrupted as soon as it is posted.
bool stops_a_print(const std::string& script) {
  const std::string word = first_word(script);
  return word == "PAUSE" || word == "CANCEL_PRINT" || word == "M25";
}

// A script of one command that only reports (M105 and the like) is answered as a query: at once, also while
// a print's current line waits for the lead, instead of after it (Printrun and OctoPrint poll M105 every
// few seconds while printing).
bool only_reports(const std::string& script) {
  static const std::array<std::string_view, 5> kReports = {"M105", "M115", "M27", "STATUS", "HELP"};
  const auto first = script.find_first_not_of(" \t");
  if (first == std::string::npos || script.find('\n', first) < script.find_last_not_of(" \t\r\n")) return false;
  return std::find(kReports.begin(), kReports.end(), first_word(script)) != kReports.end();
}

}  // namespace

// --- Posting side ----------------------------------------------------------------------------------------

Result<std::unique_ptr<Controller>> Controller::create(ControllerOptions options, ControllerHooks hooks) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->hooks = std::move(hooks);
  if (!impl->hooks.log) impl->hooks.log = [](const std::string& line) { std::cerr << line << '\n'; };
  Impl* self = impl.get();
  impl->thread = std::thread([self] { self->loop(); });
  return std::unique_ptr<Controller>(new Controller(std::move(impl)));
}

Controller::Controller(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Controller::~Controller() {
  stop();
  wait_stopped();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void post_to(Controller::Impl& impl, std::deque<std::function<void()>> Controller::Impl::*queue,
             std::function<void()> work) {
  {
    std::lock_guard lock(impl.mu);
    (impl.*queue).push_back(std::move(work));
  }
  impl.wake.notify_all();
}

void Controller::run_script(std::string script, std::function<void(ScriptOutcome)> done) {
  Impl* self = impl_.get();
  if (stops_a_print(script)) impl_->interrupt_print();
  auto queue = only_reports(script) ? &Impl::queries : &Impl::commands;
  post_to(*impl_, queue, [self, script = std::move(script), done = std::move(done)] {
    ScriptOutcome outcome = self->run_script(script);
    if (done) done(std::move(outcome));
  });
}

void Controller::query_status(StatusRequest request, std::function<void(nlohmann::json)> done) {
  Impl* self = impl_.get();
  post_to(*impl_, &Impl::queries, [self, request = std::move(request), done = std::move(done)] {
    nlohmann::json result = self->status(request);
    if (done) done(std::move(result));
  });
}

void Controller::call_endpoint(std::string method, nlohmann::json params,
                               std::function<void(Result<nlohmann::json>)> done) {
  Impl* self = impl_.get();
  if (method == "gcode/help") {
    post_to(*impl_, &Impl::queries, [self, done = std::move(done)] {
      nlohmann::json help = self->status({{"gcode", std::nullopt}})["gcode"]["commands"];
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [name, info] : help.items()) out[name] = info["help"];
      done(out);
    });
    return;
  }
  std::string script;
  if (method == "pause_resume/pause") script = "PAUSE";
  else if (method == "pause_resume/resume") script = "RESUME";
  else if (method == "pause_resume/cancel") script = "CANCEL_PRINT";
  if (script.empty()) {
    done(Error{fmt::format("webhooks: No registered callback for path '{}'", method)});
    return;
  }
  (void)params;
  run_script(script, [done = std::move(done)](ScriptOutcome outcome) {
    if (outcome.ok) done(nlohmann::json::object());
    else done(Error{outcome.error});
  });
}

void Controller::emergency_stop(std::string reason) {
  {
    std::lock_guard lock(impl_->motion_mu);
    if (impl_->motion) impl_->motion->emergency_stop(reason);
  }
  Impl* self = impl_.get();
  post_to(*impl_, &Impl::queries, [self, reason] { self->enter_shutdown(reason); });
}

void Controller::add_output_listener(uint64_t id, std::function<void(const std::string&)> listener) {
  Impl* self = impl_.get();
  post_to(*impl_, &Impl::queries, [self, id, listener = std::move(listener)] { self->listeners[id] = listener; });
}

void Controller::remove_output_listener(uint64_t id) {
  Impl* self = impl_.get();
  post_to(*impl_, &Impl::queries, [self, id] {
    self->listeners.erase(id);
    for (auto it = self->remote_methods.begin(); it != self->remote_methods.end();) {
      it = it->second.first == id ? self->remote_methods.erase(it) : std::next(it);
    }
  });
}

void Controller::register_remote_method(uint64_t id, std::string method, std::function<void(nlohmann::json)> call) {
  Impl* self = impl_.get();
  post_to(*impl_, &Impl::queries, [self, id, method = std::move(method), call = std::move(call)] {
    self->remote_methods[method] = {id, call};
  });
}

void Controller::stop() {
  impl_->stop_requested.store(true, std::memory_order_release);
  impl_->interrupt_print();
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
}

void Controller::wait_stopped() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
}

std::vector<std::string> Controller::endpoints() {
  return {"gcode/help", "pause_resume/pause", "pause_resume/resume", "pause_resume/cancel"};
}

std::vector<std::string> Controller::object_names() const {
  std::lock_guard lock(impl_->mu);
  return impl_->object_names;
}

void Controller::Impl::interrupt_print() {
  if (!print_running.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(motion_mu);
  if (motion) motion->interrupt();
}

// --- Owner thread ----------------------------------------------------------------------------------------

double Controller::Impl::now_s() const { return static_cast<double>(monotonic_ns() - started_ns) / 1e9; }

void Controller::Impl::note(const std::string& line) { hooks.log(line); }

void Controller::Impl::respond(const std::string& line) {
  if (capture != nullptr) capture->push_back(line);
  for (const auto& [id, listener] : listeners) listener(line);
}

void Controller::Impl::set_state(const std::string& new_state, const std::string& message) {
  state = new_state;
  state_message = message;
  if (hooks.on_state) hooks.on_state(state, state_message);
}

void Controller::Impl::start_machine() {
  started_ns = started_ns == 0 ? monotonic_ns() : started_ns;
  startup_failure = JobEnd::Why::kConfig;  // until the configuration is loaded
  const auto fail = [&](const std::string& message) {
    note(options.who + ": " + message);
    set_state("error", message);
  };
  auto raw_config = config::read_raw(options.config_path);
  if (!raw_config) return fail(raw_config.error().message);
  raw = std::move(*raw_config);
  auto loaded = config::interpret(raw, options.config_path);
  if (!loaded) return fail(loaded.error().message);
  machine.emplace(std::move(*loaded));
  auto read = read_settings(raw);
  if (!read) return fail(read.error().message);
  settings = *read;
  if (auto loaded_macros = load_macros(); !loaded_macros) return fail(loaded_macros.error().message);
  if (auto loaded_extras = load_extras(); !loaded_extras) return fail(loaded_extras.error().message);
  if (!options.sdcard_path.empty()) settings.sdcard_path = options.sdcard_path;
  auto placement = rt::hierarchy_from(machine->rt);
  if (!placement) return fail(options.config_path + ": " + placement.error().message);
  {
    std::lock_guard lock(mu);
    hierarchy = *placement;
  }
  auto kin = motion::Kinematics::create(*machine);
  if (!kin) return fail(options.config_path + ": " + kin.error().message);
  kinematics.emplace(std::move(*kin));
  auto chosen = choose_backend_for(*machine, options.backend, options.virtual_clock, !options.trace_path.empty());
  if (!chosen) return fail(chosen.error().message);
  if (!chosen->note.empty()) note(options.who + ": " + chosen->note);
  if (options.connect && chosen->kind != gpio::BackendKind::kSim) {
    return fail("--backend chooses the pins of this process; with --connect, `rtstep rt` drives them");
  }
  backend_kind = chosen->kind;
  backend_chosen = true;
  const bool simulated = chosen->kind == gpio::BackendKind::kSim;
  auto heaters = ThermalLink::create(raw, simulated, monotonic_ns(), options.mcu ? machine->mcus : std::vector<config::McuConfig>{});
  if (!heaters) return fail(options.config_path + ": " + heaters.error().message);
  thermal = std::move(*heaters);
  // The machine's pins, the soft-PWM heater and fan pins among them, stay open (and driven at their safe
  // level) across motion sessions; RESTART keeps the ones it opened first.
  startup_failure = JobEnd::Why::kStartup;  // the configuration is good: what fails now is the machine
  if (!simulated && !hardware_pins) {
    auto opened = open_machine_pins(*machine, chosen->kind, thermal->soft_pwm_outputs());
    if (!opened) return fail(opened.error().message);
    hardware_pins = std::move(*opened);
  }
  job = std::make_unique<PrintJob>(settings.sdcard_path);
  MotionOptions motion_options;
  motion_options.virtual_clock = options.virtual_clock;
  motion_options.hardware = hardware_pins.get();
  motion_options.mcu = options.mcu;
  motion_options.board_thermal = thermal->board_pins();  // heaters, fans and sensors on the boards
  motion_options.trace_path = options.trace_path;
  motion_options.connect = options.connect;
  motion_options.who = options.who;
  motion_options.cancel = &stop_requested;
  // The executor drives the soft-PWM heaters and fans (max_duration). Not on the virtual clock, whose time
  // is not the heaters' (the sim plants take the commands alone there).
  if (!options.virtual_clock) motion_options.pwm_outputs = thermal->soft_pwm_outputs();
  std::ostringstream motion_log;
  auto session = MotionSession::start(*machine, *kinematics, motion_options, motion_log);
  if (!motion_log.str().empty()) note(motion_log.str());
  if (!session) return fail(session.error().message);
  (*session)->set_wait_hook([this] { serve_background(); });
  thermal->attach_boards((*session)->thermal_boards());
  {
    std::lock_guard lock(motion_mu);
    motion = std::move(*session);
  }
  {
    std::lock_guard lock(mu);
    object_names = names_of_objects();
  }
  last_busy_ns = monotonic_ns();
  idle_timed_out = false;
  pause_state.reset();
  set_state("ready", "Printer is ready");
}

void Controller::Impl::end_machine() {
  if (thermal) thermal->shutdown(options.who + " stopped", monotonic_ns());
  // The executor finishes the motion sent (at most one lead), then stops. Not under motion_mu: an emergency
  // stop meanwhile must still reach it.
  if (motion) account = motion->finish();
  {
    std::lock_guard lock(motion_mu);
    motion.reset();
  }
  thermal.reset();
  kinematics.reset();
  machine.reset();
}

void Controller::Impl::enter_shutdown(const std::string& reason) {
  if (state == "shutdown" || state == "error") return;
  {
    std::lock_guard lock(motion_mu);
    if (motion) motion->emergency_stop(reason);
  }
  if (thermal) thermal->shutdown(reason, monotonic_ns());
  if (job && (job->printing() || job->paused())) job->finish("error", now_s(), reason);
  const std::string message =
      reason + "\nOnce the underlying issue is corrected, use the \"FIRMWARE_RESTART\" command to reset the "
               "firmware, reload the config, and restart the host software.\nPrinter is shutdown";
  if (!job_done) {  // a run_file() caller reports it itself
    note(options.who + ": shutdown: " + reason);
    respond("!! " + reason);
  }
  set_state("shutdown", message);
  end_job_for_caller(JobEnd::Why::kShutdown, reason);
}

// What must go on whatever the owner is doing: answer queries, control the heaters, notice faults.
void Controller::Impl::serve_background() {
  for (;;) {
    std::function<void()> query;
    {
      std::lock_guard lock(mu);
      if (queries.empty()) break;
      query = std::move(queries.front());
      queries.pop_front();
    }
    query();
  }
  const int64_t now = monotonic_ns();
  if (now < next_tick_ns) return;
  next_tick_ns = now + kTickNs;
  if (thermal) {
    thermal->tick(now);
    if (std::string fault = thermal->fault(); !fault.empty() && state == "ready") enter_shutdown(fault);
    push_soft_pwm();
  }
  if (motion && state == "ready") {
    if (std::string fault = motion->fault(); !fault.empty()) enter_shutdown(fault);
  }
  // [idle_timeout]: with nothing to do for `timeout`, heaters off and motors released, as Klipper's default.
  const bool busy = (job && job->printing()) || (motion && !motion->motion_done());
  if (busy) last_busy_ns = now;
  if (state == "ready" && !busy && !idle_timed_out &&
      now - last_busy_ns > static_cast<int64_t>(settings.idle_timeout_s * 1e9)) {
    idle_timed_out = true;
    note(options.who + ": idle timeout: running its gcode");
    run_idle_gcode();
  }
  if (state == "ready") post_due_delayed_gcode(now);
}

bool Controller::Impl::wait_until(const std::function<bool()>& done, const std::string& what, Status& error) {
  for (;;) {
    serve_background();
    if (state != "ready") {
      error = Error{fmt::format("{} interrupted: {}", what, state_message)};
      return false;
    }
    if (done()) return true;
    std::unique_lock lock(mu);
    wake.wait_for(lock, std::chrono::nanoseconds(kWaitPollNs), [this] { return !queries.empty(); });
  }
}

// The heaters' and fans' soft-PWM commands into the ring. Safe from the wait hook too: push_now never
// waits, and each output's records stay in order (MotionSession::output_not_before).
void Controller::Impl::push_soft_pwm() {
  if (!motion || motion->virtual_clock()) return;
  std::vector<ipc::Record> records =
      thermal->take_soft_pwm(motion->output_not_before(), std::numeric_limits<int64_t>::max());
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto pushed = motion->push_output(records[i]);
    if (!pushed) return;  // the session has stopped: every output is off, fault() tells the controller why
    if (!*pushed) {
      thermal->keep_soft_pwm({records.begin() + static_cast<std::ptrdiff_t>(i), records.end()});
      return;
    }
  }
}

ScriptOutcome Controller::Impl::run_script(const std::string& script) {
  ScriptOutcome outcome;
  std::vector<std::string>* outer = capture;
  capture = &outcome.output;
  if (!only_reports(script)) {  // polling M105 does not keep the machine from its idle timeout
    last_busy_ns = monotonic_ns();
    idle_timed_out = false;
  }
  std::istringstream lines(script);
  std::string text;
  for (uint32_t number = 1; std::getline(lines, text); ++number) {
    LineOutcome line = run_line(text, number, "console");
    if (!line.status) {
      outcome.ok = false;
      outcome.error = line.status.error().message;
      break;
    }
    if (!line.ack.empty()) outcome.ack = line.ack;
  }
  capture = outer;
  return outcome;
}

void Controller::Impl::run_job_line() {
  std::optional<std::string> text = job->next_line();
  job_position.store(job->position(), std::memory_order_relaxed);
  if (!text) {
    if (!job->error().empty()) return finish_job("error", job->error());
    if (job->gave_up()) return finish_job("cancelled", fmt::format("the rest of {} was not read", job->filename()));
    return finish_job("complete", "");
  }
  std::vector<std::string>* outer = capture;
  capture = nullptr;  // a job's output goes to the listeners only
  LineOutcome line = run_line(*text, job->line_number(), job->filename());
  capture = outer;
  if (!line.status) {
    // Named by file and line, as the motion's own errors are ("part.gcode:88: move out of range: ...").
    std::string message = line.status.error().message;
    if (message.rfind(job->filename() + ":", 0) != 0) {
      message = fmt::format("{}:{}: {}", job->filename(), job->line_number(), message);
    }
    finish_job("error", message);  // says it with "!! " (unless a run_file() caller reports it)
  }
}

std::string Controller::Impl::backend_name() const {
  return backend_chosen ? gpio::backend_name(backend_kind) : "";
}

std::string Controller::Impl::motion_fault() {
  if (motion) {
    if (std::string fault = motion->fault(); !fault.empty()) return fault;
  }
  return state_message;
}

void Controller::Impl::loop() {
  pthread_setname_np(pthread_self(), "rtstep-ctl");
  start_machine();  // the motion session places this thread as rtstep-host (motion_session.cpp)
  for (;;) {
    serve_background();
    print_running.store(job_runnable(), std::memory_order_relaxed);
    // A pause or cancel on its way: what the print had left stops short now, before any other command.
    if (motion && motion->interrupted()) {
      if (job_runnable()) {
        motion->stop_short();
      } else if (auto sent = motion->resume_sending(); !sent) {
        respond("!! " + sent.error().message);
      }
    }
    std::function<void()> command;
    {
      std::unique_lock lock(mu);
      if (!commands.empty()) {
        command = std::move(commands.front());
        commands.pop_front();
      } else if (stopping) {
        break;
      } else if (!job_runnable()) {
        int64_t wait_ns = kTickNs;
        if (motion && state == "ready") {
          const int64_t patience = motion->patience_ns();
          if (patience <= 0) {
            lock.unlock();
            motion->idle();  // the input paused: everything queued runs to a stop
            continue;
          }
          wait_ns = std::min(wait_ns, patience);
        }
        wake.wait_for(lock, std::chrono::nanoseconds(wait_ns),
                      [this] { return !commands.empty() || !queries.empty() || stopping; });
        continue;
      }
    }
    if (command) command();
    else run_job_line();
  }
  // SIGTERM: the job stops where it is; what was sent runs out, then everything is released.
  if (job && (job->printing() || job->paused())) finish_job("cancelled", options.who + " stopped");
  if (motion && state == "ready") motion->idle();
  serve_background();
  end_machine();
  std::lock_guard lock(mu);
  stopped = true;
  stopped_cv.notify_all();
}

}  // namespace rtstep::machine
