#pragma once
// PrinterPty: the printer pseudo-terminal (Klipper's -I, default /tmp/printer) for OctoPrint, Printrun and
// anything else that talks to a Marlin printer over a serial port. The line protocol is LineProtocol
// (line_protocol.hpp); this is its transport.
//
// A pty in raw mode (no echo, no line editing, no CR/LF translation) whose slave is reached through a
// stable symlink at `link`, replaced atomically (rename) so that a stale link from an earlier run never
// points at another process's terminal. The server keeps a slave descriptor open itself, as Klipper does,
// so hosts may close and reopen the link at will: the master never sees a hang-up. The slave device gets
// mode 0600 (0660 and the group when one is given); never world-writable.
//
// Commands go to Backend::run_script one at a time; M112 goes to Backend::emergency_stop as soon as it is
// read. Output to a host that does not read is bounded (max_output_bytes): past it, the unwritten output is
// dropped with a logged reason, and the API thread never waits for the host.
//
// Threads: every public function is non-real-time and may be called from any thread; the I/O runs on the
// IoThread. Destroy the pty before its IoThread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/api.hpp"
#include "api/io_thread.hpp"
#include "api/line_protocol.hpp"

namespace rtstep::api {

struct PrinterPtyOptions {
  std::string link = "/tmp/printer";  // the symlink hosts open
  std::string group;                  // "": 0600; a group name: 0660 and that group
  std::size_t max_output_bytes = std::size_t{64} << 10;
  LineProtocol::Options protocol{};
  LogFn log = stderr_log();
};

class PtyCore;

class PrinterPty {
 public:
  // Nothing is opened yet. `backend` must outlive the pty. Non-real-time.
  PrinterPty(IoThread& io, Backend& backend, PrinterPtyOptions options);
  ~PrinterPty();  // close()
  PrinterPty(const PrinterPty&) = delete;
  PrinterPty& operator=(const PrinterPty&) = delete;

  // Creates the pty and the link and starts reading. Errors name the link and the cause. Waits for the API
  // thread.
  Status open();
  // Stops, closes the pty and removes the link (when it still points at this pty). Waits for the API thread.
  void close();

  const std::string& slave_path() const noexcept;  // /dev/pts/N after open()
  ClientId client_id() const noexcept;

 private:
  std::shared_ptr<asio::io_context> io_;
  std::shared_ptr<PtyCore> core_;
};

}  // namespace rtstep::api
