#pragma once
// Serve: `rtstep serve` put together — the machine controller (machine::Controller) behind Klipper's API
// socket (KlippyServer) and the printer pseudo-terminal (PrinterPty), on one API thread (IoThread). The
// controller's state goes to the socket's `info` as it changes; RESTART and FIRMWARE_RESTART re-create the
// socket, as Klipper does. ControllerBackend is the api::Backend the servers talk to.
//
// Threads: start() and stop() on the caller's thread (non-real-time); the rest runs on the API thread and
// the controller's owner thread.

#include <memory>
#include <string>

#include "api/api.hpp"
#include "machine/controller.hpp"
#include "util/result.hpp"

namespace rtstep::api {

// api::Backend over the controller: every call posts to the controller's owner thread and answers through
// the completion handed in.
class ControllerBackend final : public Backend {
 public:
  explicit ControllerBackend(machine::Controller& controller) : controller_(controller) {}
  void submit(Request request, Reply reply) override;
  void run_script(ScriptRequest request, ScriptDone done) override;
  void query_status(ObjectRequest objects, StatusFn done) override;
  void emergency_stop(std::string reason) override;
  void subscribe_output(ClientId client, OutputPush push) override;
  void register_remote_method(ClientId client, std::string method, RemoteCallPush push) override;
  void client_closed(ClientId client) override;

 private:
  machine::Controller& controller_;
};

struct ServeOptions {
  machine::ControllerOptions controller;
  std::string api_path;  // "": no API socket
  std::string pty_path;  // "": no printer terminal
  std::string group;     // "": sockets and pty mode 0600; else 0660 and this group
  ThreadPlacement placement;
  LogFn log = stderr_log();
};

class Serve {
 public:
  // Starts the controller, then opens the socket and the pty. Errors: either cannot be opened (naming the path).
  static Result<std::unique_ptr<Serve>> start(ServeOptions options);
  ~Serve();  // stop()
  // Closes the front ends, then stops the controller (queued motion runs out, heaters off). Idempotent.
  void stop();
  machine::Controller& controller() noexcept { return *controller_; }
  // The pty's device (/dev/pts/N) when one was opened.
  std::string pty_device() const;

  struct Parts;

 private:
  explicit Serve(std::unique_ptr<Parts> parts, machine::Controller* controller);
  std::unique_ptr<Parts> parts_;
  machine::Controller* controller_;
};

}  // namespace rtstep::api
