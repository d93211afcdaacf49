// Link (link.hpp): the thread that drives one board. Link::run() opens the port and runs one Session per
// connection; a Session ends when the board restarts or goes away, and the next one starts from identify.

#include "mcu/link.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

#include "mcu/link_session.hpp"

namespace rtstep::mcu {

const char* phase_name(LinkPhase phase) noexcept {
  switch (phase) {
    case LinkPhase::kConnecting: return "connecting";
    case LinkPhase::kConfiguring: return "configuring";
    case LinkPhase::kReady: return "ready";
    case LinkPhase::kShutdown: return "shutdown";
    case LinkPhase::kFailed: return "failed";
    case LinkPhase::kStopped: return "stopped";
  }
  return "?";
}
Link::Link(LinkOptions options, McuObjects objects) : options_(std::move(options)), objects_(std::move(objects)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  status_.stepper_steps_sent.assign(objects_.steppers.size(), 0);
}

Link::~Link() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Link::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void Link::stop() {
  {
    std::lock_guard lock(posted_mutex_);
    stop_ = true;
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void Link::run() {
  for (;;) {
    {
      std::lock_guard lock(posted_mutex_);
      if (stop_) break;
    }
    auto port = SerialPort::open(options_.serial, options_.baud);
    if (!port) {
      publish([&](LinkStatus& s) {
        s.phase = LinkPhase::kConnecting;
        s.message = "MCU '" + options_.name + "': " + port.error().message;
      });
      sleep_for(options_.reconnect_interval_ns);
      continue;
    }
    Session session(*this, port.value());
    const Session::End end = session.run();
    if (end == Session::End::kStop) break;
    if (end == Session::End::kRefused) {
      // Connecting again would meet the same firmware: wait for a FIRMWARE_RESTART or stop.
      for (;;) {
        sleep_for(kLinkMaxPollNs * 10);
        std::lock_guard lock(posted_mutex_);
        if (stop_ || std::exchange(posted_.restart, false)) break;
      }
    } else {
      sleep_for(kLinkResetSettleNs);
    }
  }
  publish([&](LinkStatus& s) { s.phase = LinkPhase::kStopped; });
}

void Link::sleep_for(int64_t ns) {
  pollfd p{wake_fd_, POLLIN, 0};
  ::poll(&p, 1, static_cast<int>(ns / 1'000'000));
  uint64_t n = 0;
  if ((p.revents & POLLIN) != 0) (void)::read(wake_fd_, &n, sizeof n);
}

void Link::post(const std::function<void(Posted&)>& add) {
  {
    std::lock_guard lock(posted_mutex_);
    add(posted_);
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
}

Link::Posted Link::take_posted() {
  std::lock_guard lock(posted_mutex_);
  return std::exchange(posted_, Posted{});
}

void Link::publish(const std::function<void(LinkStatus&)>& update) {
  {
    std::lock_guard lock(status_mutex_);
    update(status_);
  }
  status_changed_.notify_all();
}

LinkStatus Link::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

bool Link::wait_ready(int64_t timeout_ns) const {
  std::unique_lock lock(status_mutex_);
  status_changed_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] {
    return status_.phase == LinkPhase::kReady || status_.phase == LinkPhase::kFailed || status_.phase == LinkPhase::kShutdown;
  });
  return status_.phase == LinkPhase::kReady;
}

void Link::push_segments(std::span<const ipc::StepSegment> segments) {
  post([&](Posted& p) { p.segments.insert(p.segments.end(), segments.begin(), segments.end()); });
}

void Link::flush() {
  post([](Posted& p) { p.flush = true; });
}

void Link::set_output(std::size_t output, int64_t print_ns, double value) {
  post([&](Posted& p) { p.outputs.push_back({output, print_ns, value}); });
}

std::vector<AdcReading> Link::take_adc_readings() {
  std::lock_guard lock(status_mutex_);
  return std::exchange(readings_, {});
}

void Link::home(HomingRequest request) {
  {
    std::lock_guard lock(status_mutex_);
    homing_result_.reset();
  }
  post([&](Posted& p) { p.homings.push_back(std::move(request)); });
}

std::optional<HomingResult> Link::take_homing_result() {
  std::lock_guard lock(status_mutex_);
  return std::exchange(homing_result_, std::nullopt);
}

void Link::query_positions() {
  {
    std::lock_guard lock(status_mutex_);
    positions_.reset();
  }
  post([](Posted& p) { p.positions = true; });
}

std::optional<std::vector<int64_t>> Link::take_positions() {
  std::lock_guard lock(status_mutex_);
  return std::exchange(positions_, std::nullopt);
}

void Link::firmware_restart() {
  post([](Posted& p) { p.restart = true; });
}

void Link::emergency_stop() {
  post([](Posted& p) { p.estop = true; });
}

}  // namespace rtstep::mcu