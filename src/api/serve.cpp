// Serve and ControllerBackend (see serve.hpp).
#include "api/serve.hpp"

#include <atomic>
#include <mutex>

#include "api/io_thread.hpp"
#include "api/klippy_server.hpp"
#include "api/printer_pty.hpp"

namespace rtstep::api {

// --- ControllerBackend ----------------------------------------------------------------------------------

void ControllerBackend::submit(Request request, Reply reply) {
  controller_.call_endpoint(std::move(request.method), std::move(request.params),
                            [reply](Result<Json> result) { reply(std::move(result)); });
}

void ControllerBackend::run_script(ScriptRequest request, ScriptDone done) {
  controller_.run_script(std::move(request.script), [done](machine::ScriptOutcome outcome) {
    ScriptResult result;
    result.ok = outcome.ok;
    result.error = std::move(outcome.error);
    result.ack = std::move(outcome.ack);
    result.output = std::move(outcome.output);
    done(std::move(result));
  });
}

void ControllerBackend::query_status(ObjectRequest objects, StatusFn done) {
  controller_.query_status(std::move(objects), [done](Json status) { done(std::move(status)); });
}

void ControllerBackend::emergency_stop(std::string reason) { controller_.emergency_stop(std::move(reason)); }

void ControllerBackend::subscribe_output(ClientId client, OutputPush push) {
  controller_.add_output_listener(client, [push = std::move(push)](const std::string& line) { push(line); });
}

void ControllerBackend::register_remote_method(ClientId client, std::string method, RemoteCallPush push) {
  controller_.register_remote_method(client, std::move(method), [push = std::move(push)](Json params) {
    push(std::move(params));
  });
}

void ControllerBackend::client_closed(ClientId client) { controller_.remove_output_listener(client); }

// --- Serve ----------------------------------------------------------------------------------------------

struct Serve::Parts {
  ServeOptions options;
  std::unique_ptr<IoThread> io;
  std::unique_ptr<machine::Controller> controller;
  std::unique_ptr<ControllerBackend> backend;
  std::unique_ptr<KlippyServer> server;
  std::unique_ptr<PrinterPty> pty;
  // The controller's hooks reach the server once it exists; until then (and after stop) they do nothing.
  std::mutex server_mu;
  KlippyServer* published_to = nullptr;
  HostStatus status;
  bool stopped = false;
  // The controller as its own hooks see it: set once it is created (the hooks run on its thread from the start).
  std::atomic<machine::Controller*> live{nullptr};

  // Front ends first, then the controller (whose hooks use the members above), then the API thread.
  ~Parts() {
    {
      std::lock_guard lock(server_mu);
      published_to = nullptr;
    }
    pty.reset();
    server.reset();
    if (controller) {
      controller->stop();
      controller->wait_stopped();
      live.store(nullptr);
      controller.reset();
    }
    io.reset();
  }

  void publish(const std::string& state, const std::string& message) {
    std::lock_guard lock(server_mu);
    status.state = state;
    status.state_message = message;
    if (published_to != nullptr) published_to->publish(status);
  }
};

Result<std::unique_ptr<Serve>> Serve::start(ServeOptions options) {
  auto parts = std::make_unique<Parts>();
  parts->options = std::move(options);
  Parts* p = parts.get();
  parts->io = std::make_unique<IoThread>(p->options.placement, p->options.log);
  p->status.endpoints = machine::Controller::endpoints();
  p->status.info = Json{{"config_file", p->options.controller.config_path},
                        {"log_file", p->options.controller.log_path.empty() ? Json(nullptr)
                                                                             : Json(p->options.controller.log_path)},
                        {"software_version", "rtstep-" RTSTEP_VERSION}};
  machine::ControllerHooks hooks;
  hooks.on_state = [p](const std::string& state, const std::string& message) {
    if (machine::Controller* controller = p->live.load(); controller != nullptr && state == "ready") {
      std::lock_guard lock(p->server_mu);
      p->status.objects = controller->object_names();
    }
    p->publish(state, message);
  };
  hooks.on_restart = [p] {
    std::lock_guard lock(p->server_mu);
    if (p->published_to != nullptr) (void)p->published_to->restart();
  };
  hooks.log = [p](const std::string& line) { p->options.log(line); };
  auto controller = machine::Controller::create(p->options.controller, std::move(hooks));
  if (!controller) return controller.error();
  parts->controller = std::move(*controller);
  p->live.store(parts->controller.get());
  parts->backend = std::make_unique<ControllerBackend>(*parts->controller);
  if (!p->options.api_path.empty()) {
    KlippyServerOptions server_options;
    server_options.path = p->options.api_path;
    server_options.group = p->options.group;
    server_options.log = p->options.log;
    parts->server = std::make_unique<KlippyServer>(*parts->io, *parts->backend, server_options);
    if (auto opened = parts->server->open(); !opened) return opened.error();
    std::lock_guard lock(p->server_mu);
    p->status.objects = parts->controller->object_names();
    p->published_to = parts->server.get();
    p->published_to->publish(p->status);
  }
  if (!p->options.pty_path.empty()) {
    PrinterPtyOptions pty_options;
    pty_options.link = p->options.pty_path;
    pty_options.group = p->options.group;
    pty_options.log = p->options.log;
    parts->pty = std::make_unique<PrinterPty>(*parts->io, *parts->backend, pty_options);
    if (auto opened = parts->pty->open(); !opened) return opened.error();
  }
  machine::Controller* raw = parts->controller.get();
  return std::unique_ptr<Serve>(new Serve(std::move(parts), raw));
}

Serve::Serve(std::unique_ptr<Parts> parts, machine::Controller* controller)
    : parts_(std::move(parts)), controller_(controller) {}

void Serve::stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  {
    std::lock_guard lock(p.server_mu);
    p.published_to = nullptr;
  }
  if (p.pty) p.pty->close();
  if (p.server) p.server->close();
  p.controller->stop();
  p.controller->wait_stopped();
  p.pty.reset();
  p.server.reset();
  p.io->stop();
}

Serve::~Serve() { stop(); }

std::string Serve::pty_device() const { return parts_->pty ? parts_->pty->slave_path() : std::string(); }

}  // namespace rtstep::api
