#pragma once
// KlippyServer: Klipper's API server on a Unix socket (klippy.py -a PATH), for Moonraker and anything else
// written against docs/API_Server.md. Wire format and reply shapes: klippy_protocol.hpp; the contract with
// the controller and which endpoints are answered here: api.hpp.
//
// The socket file is created with mode 0600 (0660 and the configured group when a group is given), never
// world-writable: a local user on it can move the machine. A stale socket file at the path is removed; a
// live one (another process answers on it) or any other kind of file there is an error, never deleted.
//
// Bad input. A message that is not JSON, or JSON that is not a request, is logged with the reason and
// skipped; Klipper does the same. When it still carries an id (say, a request without "method"), it is also
// answered with an error so that the client does not wait. A message over 1 MiB (max_message_bytes) or a
// client whose unread output passes 4 MiB (max_output_bytes) is disconnected with the reason logged; the
// other clients and the server loop never wait for it.
//
// Threads: every public function is non-real-time and may be called from any thread (open, restart and
// close also from the API thread itself); the server's work runs on the IoThread. Destroy servers before
// their IoThread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/api.hpp"
#include "api/io_thread.hpp"

namespace rtstep::api {

struct KlippyServerOptions {
  std::string path;   // e.g. ~/printer_data/comms/klippy.sock or /tmp/klippy_uds
  std::string group;  // "": mode 0600; a group name: mode 0660, owned by that group
  std::size_t max_message_bytes = std::size_t{1} << 20;
  std::size_t max_output_bytes = std::size_t{4} << 20;
  int64_t update_period_ns = 250'000'000;  // objects/subscribe cadence
  LogFn log = stderr_log();
};

class KlippyCore;

class KlippyServer {
 public:
  // Nothing is opened yet. `backend` must outlive the server. Non-real-time.
  KlippyServer(IoThread& io, Backend& backend, KlippyServerOptions options);
  ~KlippyServer();  // close()
  KlippyServer(const KlippyServer&) = delete;
  KlippyServer& operator=(const KlippyServer&) = delete;

  // Creates the socket and starts accepting. Errors name the path and the cause. Waits for the API thread.
  Status open();
  // RESTART / FIRMWARE_RESTART: closes every client, removes the socket and creates it again. Any thread,
  // including a handler on the API thread.
  Status restart();
  // Closes every client and removes the socket file. Waits for the API thread.
  void close();

  // The controller's state for info / list_endpoints / objects/list. Any thread; takes effect in order.
  void publish(HostStatus status);

  std::size_t client_count() const noexcept;  // any thread
  const std::string& path() const noexcept;

 private:
  std::shared_ptr<asio::io_context> io_;
  std::shared_ptr<KlippyCore> core_;
};

}  // namespace rtstep::api
