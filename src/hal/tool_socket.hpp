#pragma once
// The bridge that lets the child processes of `rtstep hal` use its built-in tools. LinuxCNC's HAL lives in
// shared memory, so a shell script that `loadusr` starts can run `halstreamer` or `halsampler` on it;
// rtstep's HAL lives inside the `rtstep hal` process, so the tools must run there:
//
// * ToolServer (in `rtstep hal`) makes a private directory (mode 0700) holding a Unix socket and one small
//   script per tool (`halstreamer`, `halsampler`) that runs `rtstep hal --user-tool NAME -- ARGS`. A child
//   gets that directory first on its PATH and the socket in RTSTEP_HAL_SOCKET.
// * run_tool_client (in the child) connects, sends its arguments and its stdin, stdout and stderr
//   (SCM_RIGHTS), and waits for the exit status.
// * The server runs the tool on a thread of its own, on the child's descriptors, and sends the status back.
//
// All non-real-time. FdInBuf / FdOutBuf are the iostream ends of those descriptors. Starting a server sets
// SIGPIPE to be ignored in this process: a tool writing to a pipe whose reader left gets an error instead.

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "util/result.hpp"

namespace rtstep::hal {

inline constexpr const char* kToolSocketEnv = "RTSTEP_HAL_SOCKET";

// Reads a descriptor; waits in slices of 100 ms so that `stop` ends a wait (then it reports end of input).
// Does not own the descriptor.
class FdInBuf : public std::streambuf {
 public:
  FdInBuf(int fd, const std::atomic<bool>* stop) : fd_(fd), stop_(stop) {}

 protected:
  int_type underflow() override;

 private:
  int fd_;
  const std::atomic<bool>* stop_;
  char buf_[4096];
};

// Writes a descriptor (each flush, and when its buffer is full). Does not own the descriptor.
class FdOutBuf : public std::streambuf {
 public:
  explicit FdOutBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  ~FdOutBuf() override { sync(); }

 protected:
  int_type overflow(int_type c) override;
  int sync() override;

 private:
  bool flush_buffer();
  int fd_;
  char buf_[4096];
};

class ToolServer {
 public:
  // Runs one tool: argv[0] is the tool's name. Returns its exit status. Called on a connection's thread;
  // `stop` turns true when the server stops.
  using Runner = std::function<int(std::span<const std::string> argv, int in_fd, int out_fd, int err_fd,
                                   const std::atomic<bool>& stop)>;

  // Makes the directory, the scripts (each runs `executable hal --user-tool NAME -- "$@"`) and the socket,
  // and starts accepting.
  static Result<std::unique_ptr<ToolServer>> start(std::span<const std::string> tools, const std::string& executable,
                                                   Runner runner);
  ToolServer(const ToolServer&) = delete;
  ToolServer& operator=(const ToolServer&) = delete;
  ~ToolServer();  // stop(), then removes the directory

  // Ends the accept loop, asks running tools to stop (their `stop`), joins every thread.
  void stop();
  // The environment entries a child needs: PATH with the scripts first, and the socket.
  std::vector<std::string> child_environment() const;

 private:
  ToolServer() = default;
  void accept_loop();
  void serve(int conn);

  std::string dir_, socket_path_;
  std::vector<std::string> files_;  // to remove
  int listen_fd_ = -1;
  Runner runner_;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // touched by the acceptor, then by stop() after joining it
};

// `rtstep hal --user-tool NAME -- ARGS`: the child's side. Returns the tool's exit status (1 with a message
// on stderr when there is no server to talk to).
int run_tool_client(const std::string& tool, std::span<const std::string> args);

}  // namespace rtstep::hal
