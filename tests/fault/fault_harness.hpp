#pragma once
// The fault matrix's harness: runs the built rtstep binary as real processes (fork + exec, stdout and
// stderr into files of a per-test sandbox directory), writes the printer.cfg and G-code a case needs, and
// reads back what the sim backend recorded (the trace file) so each case can check the edges themselves.

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../cli/cold_example.hpp"
#include "trace/trace.hpp"

namespace rtstep::fault {

inline const std::string kSource = RTSTEP_SOURCE_DIR;
inline const std::string kBinary = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";
inline const std::string kPrinterCfg = kSource + "/examples/printer.cfg";
constexpr int64_t kMs = 1'000'000;
// Scheduling slop allowed on top of a stated bound on this loaded 2-core VM: the cases check behaviour
// (it stops, it says why), not latency; benchmarks measure latency.
constexpr int64_t kGenerousNs = 400 * kMs;

inline int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline bool wait_for(const std::function<bool()>& ready, int64_t timeout_ns) {
  const int64_t until = now_ns() + timeout_ns;
  while (!ready()) {
    if (now_ns() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline uint64_t size_of(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

inline bool shm_exists(const std::string& name) { return std::filesystem::exists("/dev/shm" + name); }

// A temporary directory for one test's files; removed with everything in it at the end.
class Sandbox {
 public:
  Sandbox() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rtstep-fault-XXXXXX").string();
    dir_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string{};
  }
  ~Sandbox() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  std::string path(const std::string& file) const { return dir_ + "/" + file; }
  bool ok() const { return !dir_.empty(); }

 private:
  std::string dir_;
};

// Shared-memory names handed out by shm_name: FaultTest unlinks them when the test ends, since a process
// killed with -9 leaves its ring behind.
inline std::vector<std::string>& handed_out_shm_names() {
  static std::vector<std::string> names;
  return names;
}

// A shared-memory name unique to this test process and case.
inline std::string shm_name(const std::string& what) {
  std::string name = "/rtstep-fault-" + std::to_string(getpid()) + "-" + what;
  handed_out_shm_names().push_back(name);
  return name;
}

// The fixture of every fault test: a sandbox for its files, the binary present, its rings removed after.
class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << "needs the rtstep binary: " << kBinary;
    ASSERT_TRUE(box_.ok());
    square_ = box_.path("square.gcode");  // the example's job without its heater waits (cold_example.hpp)
    std::ofstream(square_) << test_example::cold_job_text(test_example::read_example("square.gcode"));
  }
  void TearDown() override {
    for (const std::string& name : handed_out_shm_names()) shm_unlink(name.c_str());
    handed_out_shm_names().clear();
  }
  Sandbox box_;
  std::string square_;
};

// examples/printer.cfg (cold extrusion allowed: cold_example.hpp) with some [rt] keys set: each `key: value` replaces that key's line, or is added
// right after the [rt] header. The lateness guards are off unless the caller sets them: these cases kill,
// stop and signal real processes on a loaded machine, where a stall of a few ms is not what they test (the
// guards have their own tests, tests/executor/guard_test.cpp).
inline std::string write_config(const Sandbox& box, std::map<std::string, std::string> rt_keys) {
  rt_keys.insert({{"max_lateness", "0"}, {"max_bunch", "0"}});  // keeps a key the caller set
  std::istringstream in(test_example::cold_config_text(slurp(kPrinterCfg)));
  std::ostringstream out;
  std::string line;
  std::map<std::string, std::string> pending = rt_keys;
  bool in_rt = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') in_rt = line.rfind("[rt]", 0) == 0;
    bool replaced = false;
    if (in_rt) {
      for (auto it = pending.begin(); it != pending.end(); ++it) {
        if (line.rfind(it->first + ":", 0) == 0) {
          out << it->first << ": " << it->second << '\n';
          pending.erase(it);
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out << line << '\n';
    if (line.rfind("[rt]", 0) == 0) {
      for (const auto& [key, value] : rt_keys) {
        if (slurp(kPrinterCfg).find("\n" + key + ":") == std::string::npos) out << key << ": " << value << '\n';
      }
    }
  }
  const std::string path = box.path("printer.cfg");
  std::ofstream(path) << out.str();
  return path;
}

// About `seconds` of motion: X sweeps 50 <-> 150 mm at 100 mm/s (8 kHz of steps) while Y creeps, then M84.
inline std::string write_zigzag(const Sandbox& box, int seconds) {
  std::ostringstream g;
  g << "G28\nG90\nG1 X50 Y50 F6000\n";
  for (int i = 0; i < seconds; ++i) g << "G1 X" << (i % 2 == 0 ? 150 : 50) << " Y" << 50 + i << " F6000\n";
  g << "M84\n";
  const std::string path = box.path("zigzag.gcode");
  std::ofstream(path) << g.str();
  return path;
}

// One rtstep process. Its stdout and stderr go to files in the sandbox.
class Process {
 public:
  struct Limits {
    rlim_t file_size;  // RLIMIT_FSIZE of the child
  };
  Process(const Sandbox& box, const std::string& tag, const std::vector<std::string>& args)
      : Process(box, tag, args, Limits{RLIM_INFINITY}) {}
  Process(const Sandbox& box, const std::string& tag, const std::vector<std::string>& args, Limits limits)
      : out_(box.path(tag + ".out")), err_(box.path(tag + ".err")) {
    std::vector<std::string> argv_text{kBinary};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    started_ns_ = now_ns();
    pid_ = fork();
    if (pid_ == 0) {
      const int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) _exit(126);
      const rlimit fsize{limits.file_size, limits.file_size};
      if (limits.file_size != RLIM_INFINITY && setrlimit(RLIMIT_FSIZE, &fsize) != 0) _exit(126);
      execv(kBinary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0 && !status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const { kill(pid_, sig); }
  // Waits up to `timeout_ns` for the process to end; its wait status, or nothing if it is still running.
  std::optional<int> wait(int64_t timeout_ns) {
    if (status_) return status_;
    wait_for(
        [&] {
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) == pid_) {
            status_ = status;
            ended_ns_ = now_ns();
          }
          return status_.has_value();
        },
        timeout_ns);
    return status_;
  }
  // Exit code, or -1 when it did not exit normally (killed by a signal, still running).
  int exit_code(int64_t timeout_ns = 30'000 * kMs) {
    const auto status = wait(timeout_ns);
    return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  }
  int64_t ended_ns() const { return ended_ns_; }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }
  // Both streams, for failure messages.
  std::string output() const { return "--- stdout:\n" + out() + "--- stderr:\n" + err(); }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  int64_t started_ns_ = 0;
  int64_t ended_ns_ = 0;
  std::optional<int> status_;
};

// What the trace says about the end of a job.
struct TraceEnd {
  bool readable = false;
  std::string error;
  bool complete = false;
  uint64_t records = 0;
  int64_t last_step_rise_ns = 0;      // issued time of the last write with a rising step edge
  bool step_pins_low = false;         // final levels
  bool enable_pins_released = false;  // final levels (logical: 0 = motors off)
  std::vector<int64_t> positions;     // per stepper, from the pulses and the dir level
  std::vector<uint64_t> steps;        // rising edges per stepper
};

inline TraceEnd read_trace_end(const std::string& path) {
  TraceEnd end;
  auto trace = trace::read_trace(path);
  if (!trace) {
    end.error = trace.error().message;
    return end;
  }
  end.readable = true;
  end.complete = trace->complete;
  end.records = trace->records.size();
  gpio::PinMask step_bits = 0, enable_bits = 0;
  for (const auto& s : trace->header.steppers) step_bits |= gpio::PinMask{1} << s.step_pin;
  for (std::size_t i = 0; i < trace->header.pin_names.size(); ++i) {
    const std::string& n = trace->header.pin_names[i];
    if (n.size() > 7 && n.compare(n.size() - 7, 7, ".enable") == 0) enable_bits |= gpio::PinMask{1} << i;
  }
  for (const auto& r : trace->records) {
    if ((r.changed & r.levels & step_bits) != 0) end.last_step_rise_ns = r.issued_ns;
  }
  const gpio::PinMask last = trace->records.empty() ? 0 : trace->records.back().levels;
  end.step_pins_low = (last & step_bits) == 0;
  end.enable_pins_released = (last & enable_bits) == 0;
  const trace::TraceStats stats = trace::compute_stats(*trace);
  for (const auto& s : stats.steppers) {
    end.positions.push_back(s.position);
    end.steps.push_back(s.steps);
  }
  return end;
}

inline bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace rtstep::fault
