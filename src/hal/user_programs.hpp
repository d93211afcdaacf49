#pragma once
// loadusr's programs, waitusr and unloadusr, as halcmd's. Non-real-time: the command thread calls run,
// wait_for, stop and stop_all; background programs run on threads of their own or as child processes.
//
// * Built-in tools (halsampler, halstreamer, sleep) run inside this process, on the HAL it holds: with
//   -w before the command returns, else on a thread of their own until they end or are stopped.
// * Any other program starts as a child process (searched on PATH, as halcmd's loadusr). Its PATH begins
//   with scripts for the built-in tools, so a shell script that feeds `halstreamer` or reads `halsampler`
//   works on this process's HAL (tool_socket.hpp). -w waits for it and fails when it fails (-i: ignore
//   its status); without -w it runs on, and stop_all ends it (SIGTERM, then SIGKILL after 2 s).
// * Each program is known for waitusr/unloadusr by its component name: -n NAME, else the program's file
//   name without directory and extension (halcmd's guess), and a built-in halsampler/halstreamer also as
//   halsamplerN/halstreamerN (N: its -c channel), the names LinuxCNC's tools register.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace rtstep::hal {

class ToolServer;

// Where a built-in tool reads and writes, and when it must end.
struct ToolIo {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const std::atomic<bool>& stop;  // true: end now (unloadusr, the end of the run)
  bool background;                // no one waits for it: it may wait as long as it likes
  bool endless = true;            // may run until stopped (not so under loadusr -w: nothing would end it)
};

// A built-in tool whose arguments have been checked: runs it to the end.
using ToolRun = std::function<Status(ToolIo& io)>;
struct PreparedTool {
  ToolRun run;
  std::string component;  // the name LinuxCNC's tool registers (halstreamer0), or empty
};
// Checks a built-in tool's arguments (before it starts, so mistakes name the .hal line).
using BuiltinTool = std::function<Result<PreparedTool>(std::span<const std::string> args)>;

// loadusr's options.
struct LoadusrRequest {
  std::vector<std::string> argv;  // the program and its arguments
  bool wait = false;              // -w: until the program exits
  bool wait_ready = false;        // -W: until it is ready (a built-in tool or child: once started)
  bool ignore_status = false;     // -i: with -w, its exit status does not count
  std::string name;               // -n NAME: its component name
};
// `[-w] [-W] [-i] [-n NAME] PROGRAM [ARGS...]`; options may be grouped (-Wn NAME), as getopt allows.
Result<LoadusrRequest> parse_loadusr(std::span<const std::string> args);

class UserPrograms {
 public:
  // `in`: where a built-in tool reads when it has no file (null: this process's standard input).
  UserPrograms(std::ostream& out, std::ostream& err);
  UserPrograms(const UserPrograms&) = delete;
  UserPrograms& operator=(const UserPrograms&) = delete;
  ~UserPrograms();  // stop_all()

  void add_builtin(std::string name, BuiltinTool tool);
  void set_input(std::istream* in) { in_ = in; }
  // The executable the tool scripts run (`EXE hal --user-tool NAME`); default: this process's own.
  void set_tool_executable(std::string path) { tool_executable_ = std::move(path); }

  Status run(const LoadusrRequest& request);
  // waitusr NAME: until every program known by NAME has ended (none: at once, as halcmd).
  Status wait_for(const std::string& name);
  // unloadusr NAME|all: asks those programs to end and waits for them.
  Status stop(const std::string& name);
  // Every program: built-in ones are asked to stop, children get SIGTERM; waits for all of them.
  void stop_all();
  // Starts the tools that child processes asked for since the last call. The command thread calls it
  // between commands (it also does while it waits for a program): a tool's arguments are checked against
  // the HAL on the thread that owns it.
  void serve_requests();

 private:
  struct Program;
  struct ToolRequest;
  Status run_builtin(const LoadusrRequest& request, const BuiltinTool& tool);
  Status run_child(const LoadusrRequest& request);
  Status start_tool_server();
  int run_for_child(std::span<const std::string> argv, int in_fd, int out_fd, int err_fd,
                    const std::atomic<bool>& server_stop);
  const BuiltinTool* find_builtin(const std::string& name) const;
  void finish(Program& p);  // waits for one program to end, serving tool requests meanwhile
  void report(const std::string& message);  // a background program's error, on err_

  std::ostream& out_;
  std::ostream& err_;
  std::istream* in_ = nullptr;
  std::string tool_executable_;
  std::vector<std::pair<std::string, BuiltinTool>> builtins_;
  std::vector<std::shared_ptr<Program>> programs_;  // the command thread's only
  std::unique_ptr<ToolServer> tool_server_;
  std::mutex err_mutex_;  // background tools report their errors on err_ one at a time
  std::mutex requests_mutex_;  // guards requests_ and each request's answer
  std::condition_variable requests_cv_;
  std::deque<std::shared_ptr<ToolRequest>> requests_;
};

}  // namespace rtstep::hal
