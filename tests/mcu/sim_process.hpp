#pragma once
// SimProcess: rtstep-mcu-sim started as a real process on its pseudo-terminal, for the link tests, and
// its record file read back.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace rtstep::mcu::test {

struct SimRecord {
  struct Step {
    uint32_t boot;
    int oid;
    uint64_t clock;
    int dir;
    int64_t host_ns;
  };
  struct Stepper {
    std::string step_pin;
    uint64_t steps = 0;
    int64_t position = 0;
  };
  struct Output {
    int oid;
    uint64_t clock;
    uint32_t on_ticks;
    std::string pin;  // "" once the firmware restarted (its objects are gone)
  };
  int restarts = 0;
  uint64_t naks = 0;
  uint32_t config_crc = 0;
  std::map<int, Stepper> steppers;
  std::vector<std::string> shutdowns;
  std::vector<Output> outputs;
  std::vector<Step> steps;
  std::map<std::string, double> heaters;  // per --heater ADC pin: its sensor temperature (C)

  std::vector<Output> outputs_of(const std::string& pin) const {
    std::vector<Output> out;
    for (const Output& o : outputs) {
      if (o.pin == pin) out.push_back(o);
    }
    return out;
  }

  std::vector<Step> steps_of(int oid, uint32_t boot) const {
    std::vector<Step> out;
    for (const Step& s : steps) {
      if (s.oid == oid && s.boot == boot) out.push_back(s);
    }
    return out;
  }
};

class SimProcess {
 public:
  // Starts the simulator with `args` (besides --pty and --record) and waits for its pty (up to 10 s).
  explicit SimProcess(std::vector<std::string> args = {}) {
    char dir_template[] = "/tmp/rtstep-mcu-sim-XXXXXX";
    dir_ = ::mkdtemp(dir_template);
    pty_ = dir_ + "/serial-by-id-usb-Klipper_sim";
    record_ = dir_ + "/record.txt";
    std::vector<std::string> argv = {RTSTEP_MCU_SIM, "--pty", pty_, "--record", record_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (std::string& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (::posix_spawn(&pid_, c_argv[0], &actions, nullptr, c_argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 1000 && pid_ > 0 && ::access(pty_.c_str(), F_OK) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~SimProcess() {
    stop();
    std::remove(record_.c_str());
    ::rmdir(dir_.c_str());
  }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  bool running() const { return pid_ > 0 && ::access(pty_.c_str(), F_OK) == 0; }
  const std::string& pty() const { return pty_; }
  void signal(int sig) {
    if (pid_ <= 0) return;
    if (sig == SIGSTOP) stopped_ = true;
    if (sig == SIGCONT) stopped_ = false;
    ::kill(pid_, sig);
  }

  // Stops the simulator (it writes its record) and returns 0 for a clean exit.
  int stop() {
    if (pid_ <= 0) return exit_status_;
    // A simulator a test stopped must run to exit. Only then: a SIGCONT arriving while the process exits
    // can hang LeakSanitizer's exit check (it stops the process's threads with ptrace).
    if (stopped_) signal(SIGCONT);
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return exit_status_;
  }

  // The record as of now (SIGUSR2 makes the simulator write it), or after stop().
  SimRecord record() {
    if (pid_ > 0) {
      std::remove(record_.c_str());
      signal(SIGUSR2);
      for (int i = 0; i < 500 && ::access(record_.c_str(), F_OK) != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    SimRecord r;
    std::ifstream f(record_);
    std::string line;
    while (std::getline(f, line)) {
      std::istringstream in(line);
      std::string kind;
      in >> kind;
      if (kind == "restarts") {
        in >> r.restarts;
      } else if (kind == "naks") {
        in >> r.naks;
      } else if (kind == "config_crc") {
        in >> r.config_crc;
      } else if (kind == "stepper") {
        int oid = 0;
        SimRecord::Stepper s;
        in >> oid >> s.step_pin >> s.steps >> s.position;
        r.steppers[oid] = s;
      } else if (kind == "shutdown") {
        std::string text;
        std::getline(in >> std::ws, text);
        r.shutdowns.push_back(text);
      } else if (kind == "out") {
        SimRecord::Output o{};
        in >> o.oid >> o.clock >> o.on_ticks >> o.pin;
        r.outputs.push_back(o);
      } else if (kind == "heater") {
        std::string pin;
        double temp = 0;
        in >> pin >> temp;
        r.heaters[pin] = temp;
      } else if (kind == "step") {
        SimRecord::Step s{};
        in >> s.boot >> s.oid >> s.clock >> s.dir >> s.host_ns;
        r.steps.push_back(s);
      }
    }
    return r;
  }

 private:
  std::string dir_, pty_, record_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  bool stopped_ = false;  // the test sent SIGSTOP
};

}  // namespace rtstep::mcu::test
