// Fault matrix, heaters (issue 17): a real `rtstep rt` drives printer.cfg's heater and fan outputs by soft
// PWM; a host process (forked here: it attaches to the ring, beats and renews the heater as the controller
// does) is killed with SIGKILL while the heater is on. The edges the rt process recorded (its trace) must
// show the heater pin low within max_duration: at once when the heartbeat timeout is the shorter, and
// exactly max_duration after the last command's time when it is the longer.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "fault/fault_harness.hpp"
#include "ipc/ipc.hpp"

namespace rtstep::fault {
namespace {

// examples/printer.cfg's outputs as `rtstep rt` numbers them (heaters in config order, then fans).
constexpr uint8_t kExtruder = 0, kHeaterBed = 1;
constexpr int64_t kHeaterCycleNs = 100 * kMs;      // pwm_cycle_time's default
constexpr int64_t kMaxDurationNs = 3'000 * kMs;    // a heater's max_duration (Klipper's MAX_HEAT_TIME)
constexpr int64_t kCommandLeadNs = 100 * kMs;      // how far ahead of its clock the host times a command
constexpr int64_t kRenewalPeriodNs = 1'000 * kMs;  // the host renews the heater's duty this often

// The forked host: claims the ring, beats every millisecond, and every kRenewalPeriodNs pushes the
// extruder at full power and the bed at half, kCommandLeadNs ahead; after each push it writes the command's
// time into `times_fd`. Runs until it is killed.
[[noreturn]] void heating_host(const std::string& ring_name, int times_fd) {
  auto ring = ipc::SegmentRing::attach_when_ready(ring_name, 10'000 * kMs);
  if (!ring || ring->try_claim_host(getpid()) != getpid()) _exit(2);
  const auto beat_for = [&](int64_t ns) {
    for (const int64_t until = now_ns() + ns; now_ns() < until;) {
      ring->beat_host();
      usleep(1'000);
    }
  };
  while (!ring->executor_started()) beat_for(kMs);
  for (;;) {
    const int64_t t = now_ns() + kCommandLeadNs;
    for (const auto& [output, duty] : {std::pair{kExtruder, 1.0}, std::pair{kHeaterBed, 0.5}}) {
      while (!ring->try_push(ipc::Record::of(ipc::pwm_command(output, duty, kHeaterCycleNs, t)))) beat_for(kMs);
    }
    if (write(times_fd, &t, sizeof t) != sizeof t) _exit(3);
    beat_for(kRenewalPeriodNs);
  }
}

// The host process and the pipe its command times come through.
class HeatingHost {
 public:
  explicit HeatingHost(const std::string& ring_name) {
    EXPECT_EQ(pipe(fds_), 0);
    pid_ = fork();
    if (pid_ == 0) {
      close(fds_[0]);
      heating_host(ring_name, fds_[1]);
    }
    close(fds_[1]);
  }
  ~HeatingHost() {
    kill_now();
    close(fds_[0]);
  }
  // Waits up to `timeout_ns` for the next command time the host reports.
  bool next_command(int64_t timeout_ns) {
    pollfd p{fds_[0], POLLIN, 0};
    int64_t t = 0;
    if (poll(&p, 1, static_cast<int>(timeout_ns / kMs)) != 1 || read(fds_[0], &t, sizeof t) != sizeof t) return false;
    times_.push_back(t);
    return true;
  }
  // SIGKILL, reaped; then every command time it reported before it died.
  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    while (next_command(0)) {
    }
  }
  const std::vector<int64_t>& times() const { return times_; }

 private:
  int fds_[2] = {-1, -1};
  pid_t pid_ = -1;
  std::vector<int64_t> times_;
};

// One level change of one pin in the trace.
struct PinEdge {
  int64_t scheduled_ns = 0, issued_ns = 0;
  bool high = false;
};

struct PinHistory {
  std::string error;
  std::vector<PinEdge> edges;
  bool final_high = true;
  bool complete = false;
};

PinHistory pin_history(const std::string& trace_path, const std::string& signal) {
  PinHistory h;
  auto trace = trace::read_trace(trace_path);
  if (!trace) {
    h.error = trace.error().message;
    return h;
  }
  const auto& names = trace->header.pin_names;
  const auto it = std::find(names.begin(), names.end(), signal);
  if (it == names.end()) {
    h.error = "no pin " + signal + " in the trace";
    return h;
  }
  const auto pin = static_cast<std::size_t>(it - names.begin());
  for (const auto& r : trace->records) {
    if ((r.changed >> pin & 1U) != 0) h.edges.push_back({r.scheduled_ns, r.issued_ns, (r.levels >> pin & 1U) != 0});
  }
  h.final_high = !trace->records.empty() && (trace->records.back().levels >> pin & 1U) != 0;
  h.complete = trace->complete;
  return h;
}

std::unique_ptr<Process> start_rt(const Sandbox& box, const std::string& name, const std::string& config) {
  auto rt = std::make_unique<Process>(
      box, "rt", std::vector<std::string>{"rt", "--shm", name, "--config", config, "--once", "--trace", box.path("rt.trace")});
  EXPECT_TRUE(wait_for([&] { return shm_exists(name); }, 10'000 * kMs)) << rt->output();
  return rt;
}

class HeaterFaults : public FaultTest {};

// Heartbeat timeout (100 ms) shorter than max_duration: the lost host stops the executor, which drives
// every heater low at once.
TEST_F(HeaterFaults, HostKilledWhileHeatingLeavesTheHeaterLowWithinMaxDuration) {
  const std::string name = shm_name("heater-host-killed");
  auto rt = start_rt(box_, name, write_config(box_, {}));
  ASSERT_TRUE(wait_for([&] { return contains(rt->err(), "soft-PWM outputs: extruder (PA1"); }, 10'000 * kMs))
      << rt->output();
  HeatingHost host(name);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(host.next_command(15'000 * kMs)) << rt->output();
  // The second command is in force (the heater has been on since the first): kill the host now.
  ASSERT_TRUE(wait_for([&] { return now_ns() > host.times().back() + 50 * kMs; }, 5'000 * kMs));
  const int64_t killed = now_ns();
  host.kill_now();
  EXPECT_EQ(rt->exit_code(10'000 * kMs), 5) << rt->output();
  EXPECT_TRUE(contains(rt->err(), "host lost: no heartbeat from the host for")) << rt->output();

  const PinHistory heater = pin_history(box_.path("rt.trace"), "extruder.pwm");
  ASSERT_TRUE(heater.error.empty()) << heater.error;
  EXPECT_TRUE(heater.complete);
  ASSERT_EQ(heater.edges.size(), 2U) << "on at full power from its first command until the stop";
  EXPECT_TRUE(heater.edges[0].high);
  EXPECT_EQ(heater.edges[0].scheduled_ns, host.times().front()) << "on at the first command's time";
  EXPECT_LT(heater.edges[0].issued_ns, killed) << "the heater was on when the host was killed";
  EXPECT_FALSE(heater.edges[1].high);
  EXPECT_GT(heater.edges[1].issued_ns, killed);
  EXPECT_LE(heater.edges[1].issued_ns, killed + kMaxDurationNs) << "low within max_duration of the kill";
  EXPECT_FALSE(heater.final_high);

  const PinHistory bed = pin_history(box_.path("rt.trace"), "heater_bed.pwm");
  ASSERT_TRUE(bed.error.empty()) << bed.error;
  EXPECT_GE(bed.edges.size(), 4U) << "the bed toggled at half power";
  EXPECT_FALSE(bed.final_high);
  EXPECT_LE(bed.edges.back().issued_ns, killed + kMaxDurationNs);
}

// Heartbeat timeout (5 s) longer than max_duration: nothing tells the executor the host is gone before the
// heater's last duty runs out, and the executor turns the heater off by itself exactly then.
TEST_F(HeaterFaults, HeaterOfAKilledHostGoesLowExactlyMaxDurationAfterItsLastCommand) {
  const std::string name = shm_name("heater-expires");
  auto rt = start_rt(box_, name, write_config(box_, {{"heartbeat_timeout", "5"}}));
  HeatingHost host(name);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(host.next_command(15'000 * kMs)) << rt->output();
  ASSERT_TRUE(wait_for([&] { return now_ns() > host.times().back() + 50 * kMs; }, 5'000 * kMs));
  const int64_t killed = now_ns();
  host.kill_now();
  const int64_t last_command = host.times().back();
  EXPECT_LE(last_command, killed) << "the last command took effect before the kill";
  EXPECT_EQ(rt->exit_code(30'000 * kMs), 5) << rt->output();
  EXPECT_TRUE(contains(rt->err(), "host lost")) << rt->output();
  EXPECT_TRUE(contains(rt->err(), "2 PWM output(s) turned off by the executor")) << rt->output();

  const PinHistory heater = pin_history(box_.path("rt.trace"), "extruder.pwm");
  ASSERT_TRUE(heater.error.empty()) << heater.error;
  ASSERT_EQ(heater.edges.size(), 2U);
  EXPECT_TRUE(heater.edges[0].high);
  EXPECT_FALSE(heater.edges[1].high);
  EXPECT_EQ(heater.edges[1].scheduled_ns, last_command + kMaxDurationNs) << "off when its last duty ran out";
  EXPECT_LE(heater.edges[1].scheduled_ns, killed + kMaxDurationNs) << "low within max_duration of the kill";
  EXPECT_LT(heater.edges[1].issued_ns - heater.edges[1].scheduled_ns, kGenerousNs) << "written at its time";
  const PinHistory bed = pin_history(box_.path("rt.trace"), "heater_bed.pwm");
  ASSERT_TRUE(bed.error.empty()) << bed.error;
  ASSERT_FALSE(bed.edges.empty());
  EXPECT_FALSE(bed.edges.back().high);
  EXPECT_LE(bed.edges.back().scheduled_ns, last_command + kMaxDurationNs) << "the bed's duty ran out with it";
}

}  // namespace
}  // namespace rtstep::fault
