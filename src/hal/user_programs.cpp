// loadusr's programs, waitusr and unloadusr (see user_programs.hpp).
#include "hal/user_programs.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include "hal/tool_socket.hpp"

extern char** environ;

namespace rtstep::hal {

namespace {

constexpr auto kPollSlice = std::chrono::milliseconds(10);
constexpr auto kTermGrace = std::chrono::seconds(2);  // SIGTERM, then SIGKILL

// halcmd's guess of a program's component name: the file name without directory and extension.
std::string guess_component_name(const std::string& program) {
  const std::size_t slash = program.rfind('/');
  std::string base = slash == std::string::npos ? program : program.substr(slash + 1);
  if (const std::size_t dot = base.rfind('.'); dot != std::string::npos) base.erase(dot);
  return base;
}

// Where a program is: as given when it names a directory, else the first executable of that name on
// `path` (the child's PATH, rtstep's tools first), else as given (posix_spawn then reports it missing).
std::string find_program(const std::string& name, const std::string& path) {
  if (name.find('/') != std::string::npos) return name;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end == start ? "." : path.substr(start, end - start);
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;
}

std::string describe_status(const std::string& program, int status) {
  if (WIFEXITED(status)) return "program '" + program + "' failed, returned " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "program '" + program + "' did not exit normally (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "program '" + program + "' did not exit normally";
}

}  // namespace

// One program loadusr started. Shared with a ToolServer connection thread for a child's tool.
struct UserPrograms::Program {
  std::vector<std::string> names;  // what waitusr / unloadusr know it by
  std::atomic<bool> stop{false};   // asks a built-in tool to end
  std::atomic<bool> done{false};   // a tool run for a child has ended (set by the connection thread)
  std::thread thread;              // a background built-in tool
  pid_t pid = -1;                  // a child process
  bool for_child = false;          // a built-in tool run on a child's behalf (ToolServer thread)
  bool ended = false;              // finish() has seen it end (the command thread's)
};

// A child's request for a built-in tool, answered by the command thread (serve_requests).
struct UserPrograms::ToolRequest {
  std::vector<std::string> argv;
  bool answered = false;  // guarded by requests_mutex_, as the two below
  Result<PreparedTool> prepared = Error{"rtstep hal is shutting down"};
  std::shared_ptr<Program> program;
};

Result<LoadusrRequest> parse_loadusr(std::span<const std::string> args) {
  LoadusrRequest r;
  std::size_t i = 0;
  for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
    const std::string& opt = args[i];
    for (std::size_t k = 1; k < opt.size(); ++k) {
      switch (opt[k]) {
        case 'w': r.wait = true; break;
        case 'W': r.wait_ready = true; break;
        case 'i': r.ignore_status = true; break;
        case 'n':
          // -nNAME, or -n NAME (also at the end of a group: -Wn NAME)
          if (k + 1 < opt.size()) {
            r.name = opt.substr(k + 1);
          } else if (i + 1 < args.size()) {
            r.name = args[++i];
          } else {
            return Error{"loadusr: -n needs a component name"};
          }
          k = opt.size();
          break;
        default:
          return Error{"loadusr: unknown option '-" + std::string(1, opt[k]) + "' (-w, -W, -i, -n NAME)"};
      }
    }
  }
  if (i >= args.size()) return Error{"loadusr: usage: loadusr [-w] [-W] [-i] [-n NAME] PROGRAM [ARGS...]"};
  r.argv.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return r;
}

UserPrograms::UserPrograms(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

UserPrograms::~UserPrograms() { stop_all(); }

void UserPrograms::add_builtin(std::string name, BuiltinTool tool) { builtins_.emplace_back(std::move(name), std::move(tool)); }

const BuiltinTool* UserPrograms::find_builtin(const std::string& name) const {
  for (const auto& [n, tool] : builtins_) {
    if (n == name) return &tool;
  }
  return nullptr;
}

void UserPrograms::report(const std::string& message) {
  std::lock_guard lock(err_mutex_);
  err_ << message << '\n' << std::flush;
}

Status UserPrograms::run(const LoadusrRequest& request) {
  serve_requests();
  if (const BuiltinTool* tool = find_builtin(request.argv.front())) return run_builtin(request, *tool);
  return run_child(request);
}

Status UserPrograms::run_builtin(const LoadusrRequest& request, const BuiltinTool& tool) {
  auto prepared = tool(std::span<const std::string>(request.argv).subspan(1));
  if (!prepared) return prepared.error();
  auto p = std::make_shared<Program>();
  FdInBuf stdin_buf(STDIN_FILENO, &p->stop);
  if (request.wait) {
    std::istream stdin_stream(&stdin_buf);
    ToolIo io{in_ != nullptr ? *in_ : stdin_stream, out_, err_, p->stop, false, false};
    return prepared->run(io);
  }
  p->names = {request.name.empty() ? guess_component_name(request.argv.front()) : request.name};
  if (!prepared->component.empty()) p->names.push_back(prepared->component);
  p->thread = std::thread([this, raw = p.get(), run = std::move(prepared->run), program = request.argv.front()] {
    FdInBuf buf(STDIN_FILENO, &raw->stop);
    std::istream stdin_stream(&buf);
    ToolIo io{in_ != nullptr ? *in_ : stdin_stream, out_, err_, raw->stop, true};
    if (auto st = run(io); !st) report(st.error().message);
  });
  programs_.push_back(std::move(p));
  return Ok{};
}

Status UserPrograms::start_tool_server() {
  if (tool_server_ != nullptr) return Ok{};
  std::string exe = tool_executable_;
  if (exe.empty()) {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return Error{"loadusr: cannot find rtstep's own executable for the HAL tools"};
    exe.assign(buf, static_cast<std::size_t>(n));
  }
  std::vector<std::string> tools;
  for (const auto& [name, tool] : builtins_) {
    if (name != "sleep") tools.push_back(name);  // the system's sleep serves scripts
  }
  auto server = ToolServer::start(tools, exe,
                                  [this](std::span<const std::string> argv, int in, int out, int err,
                                         const std::atomic<bool>& stop) { return run_for_child(argv, in, out, err, stop); });
  if (!server) return Error{"loadusr: " + server.error().message};
  tool_server_ = std::move(*server);
  return Ok{};
}

Status UserPrograms::run_child(const LoadusrRequest& request) {
  if (auto st = start_tool_server(); !st) return st;
  std::vector<std::string> env_strings = tool_server_->child_environment();
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "PATH=", 5) != 0 && std::strncmp(*e, "RTSTEP_HAL_SOCKET=", 18) != 0) env_strings.emplace_back(*e);
  }
  std::vector<char*> envp, argv;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = request.argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string program = find_program(request.argv.front(), env_strings.front().substr(5));
  pid_t pid = -1;
  const int err = ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), envp.data());
  if (err != 0) {  // halcmd's child says execv(...) failed; waiting, halcmd then sees it return 1
    const std::string& prog = request.argv.front();
    return Error{"execv(" + prog + "): " + std::strerror(err) + (request.wait ? "\nprogram '" + prog + "' failed, returned 1" : "")};
  }
  auto p = std::make_shared<Program>();
  p->pid = pid;
  p->names = {request.name.empty() ? guess_component_name(request.argv.front()) : request.name};
  programs_.push_back(p);
  if (!request.wait) return Ok{};
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    serve_requests();
    std::unique_lock lock(requests_mutex_);
    requests_cv_.wait_for(lock, kPollSlice, [this] { return !requests_.empty(); });
  }
  p->ended = true;
  if (request.ignore_status || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) return Ok{};
  return Error{describe_status(request.argv.front(), status)};
}

// On a ToolServer connection thread: has the command thread check the request, then runs the tool on the
// child's descriptors.
int UserPrograms::run_for_child(std::span<const std::string> argv, int in_fd, int out_fd, int err_fd,
                                const std::atomic<bool>& server_stop) {
  auto request = std::make_shared<ToolRequest>();
  request->argv.assign(argv.begin(), argv.end());
  {
    std::unique_lock lock(requests_mutex_);
    requests_.push_back(request);
    requests_cv_.notify_all();
    while (!request->answered && !server_stop.load(std::memory_order_acquire)) {
      requests_cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
  FdOutBuf err_buf(err_fd);
  std::ostream err(&err_buf);
  std::shared_ptr<Program> program;
  ToolRun run;
  {
    std::lock_guard lock(requests_mutex_);
    if (!request->prepared) {
      err << request->prepared.error().message << '\n' << std::flush;
      return 1;
    }
    program = request->program;
    run = request->prepared->run;
  }
  FdInBuf in_buf(in_fd, &program->stop);
  FdOutBuf out_buf(out_fd);
  std::istream in(&in_buf);
  std::ostream out(&out_buf);
  ToolIo io{in, out, err, program->stop, false};
  const Status st = run(io);
  out.flush();
  if (!st) err << st.error().message << '\n' << std::flush;
  program->done.store(true, std::memory_order_release);
  return st ? 0 : 1;
}

void UserPrograms::serve_requests() {
  std::lock_guard lock(requests_mutex_);
  while (!requests_.empty()) {
    std::shared_ptr<ToolRequest> r = std::move(requests_.front());
    requests_.pop_front();
    const BuiltinTool* tool = r->argv.empty() ? nullptr : find_builtin(r->argv.front());
    if (tool == nullptr) {
      r->prepared = Error{"rtstep hal has no tool '" + (r->argv.empty() ? std::string() : r->argv.front()) + "'"};
    } else {
      r->prepared = (*tool)(std::span<const std::string>(r->argv).subspan(1));
    }
    if (r->prepared) {
      r->program = std::make_shared<Program>();
      r->program->for_child = true;
      r->program->names = {r->argv.front()};
      if (!r->prepared->component.empty()) r->program->names.push_back(r->prepared->component);
      programs_.push_back(r->program);
    }
    r->answered = true;
  }
  requests_cv_.notify_all();
}

void UserPrograms::finish(Program& p) {
  if (p.ended) return;
  if (p.thread.joinable()) p.thread.join();
  if (p.pid > 0) {
    const auto deadline = std::chrono::steady_clock::now() + kTermGrace;
    bool killed = false;
    for (int status = 0;;) {
      const pid_t r = ::waitpid(p.pid, &status, WNOHANG);
      if (r == p.pid || (r < 0 && errno != EINTR)) break;
      if (p.stop.load() && !killed && std::chrono::steady_clock::now() > deadline) {
        ::kill(p.pid, SIGKILL);
        killed = true;
      }
      serve_requests();
      std::this_thread::sleep_for(kPollSlice);
    }
  }
  while (p.for_child && !p.done.load(std::memory_order_acquire)) {
    serve_requests();
    std::this_thread::sleep_for(kPollSlice);
  }
  p.ended = true;
}

Status UserPrograms::wait_for(const std::string& name) {
  serve_requests();
  for (std::size_t i = 0; i < programs_.size(); ++i) {  // by index: finish() may add programs
    std::shared_ptr<Program> p = programs_[i];
    for (const std::string& n : p->names) {
      if (n == name) {
        finish(*p);
        break;
      }
    }
  }
  return Ok{};
}

Status UserPrograms::stop(const std::string& name) {
  serve_requests();
  std::vector<std::shared_ptr<Program>> chosen;
  for (const auto& p : programs_) {
    if (p->ended) continue;
    for (const std::string& n : p->names) {
      if (name == "all" || n == name) {
        chosen.push_back(p);
        break;
      }
    }
  }
  for (const auto& p : chosen) {
    p->stop.store(true, std::memory_order_release);
    if (p->pid > 0) ::kill(p->pid, SIGTERM);
  }
  for (const auto& p : chosen) finish(*p);
  return Ok{};
}

void UserPrograms::stop_all() {
  (void)stop("all");
  if (tool_server_ != nullptr) tool_server_->stop();  // answers waiting requests with "shutting down"
  tool_server_.reset();
  programs_.clear();
}

}  // namespace rtstep::hal
