// The latency test (see latency.hpp).
#include "rt/latency.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "rt/load.hpp"
#include "util/clock.hpp"

namespace rtstep::rt {

namespace {

// Keeps the CPUs out of deep C-states while open (PM QoS), as cyclictest does. -1 when unavailable.
class DmaLatencyHold {
 public:
  explicit DmaLatencyHold(bool wanted) {
    if (!wanted) return;
    fd_ = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = std::strerror(errno);
      return;
    }
    const int32_t zero = 0;
    if (write(fd_, &zero, sizeof zero) != static_cast<ssize_t>(sizeof zero)) error_ = std::strerror(errno);
  }
  ~DmaLatencyHold() {
    if (fd_ >= 0) close(fd_);
  }
  DmaLatencyHold(const DmaLatencyHold&) = delete;
  DmaLatencyHold& operator=(const DmaLatencyHold&) = delete;
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

PeriodicSpec measuring_spec(const LatencyThreadConfig& t, const LatencyTestConfig& config) {
  PeriodicSpec spec;
  spec.thread.name = "rtstep-lat-" + t.label.substr(0, kMaxThreadNameLength - 11);
  spec.thread.policy = Policy::kFifo;
  spec.thread.priority = t.priority;
  spec.thread.cpus = t.cpus;
  spec.thread.lock_memory = config.lock_memory;
  spec.thread.prefault_stack_bytes = 64 * 1024;
  spec.thread.allow_non_realtime = config.allow_non_realtime;
  spec.label = t.label;
  spec.period_ns = t.period_ns;
  return spec;
}

}  // namespace

LatencyBand latency_band(int64_t max_latency_ns) noexcept {
  if (max_latency_ns < 20'000) return LatencyBand::kExcellent;
  if (max_latency_ns < 50'000) return LatencyBand::kGood;
  if (max_latency_ns < 100'000) return LatencyBand::kServoOnly;
  return LatencyBand::kUnusable;
}

const char* band_name(LatencyBand band) noexcept {
  switch (band) {
    case LatencyBand::kExcellent: return "excellent";
    case LatencyBand::kGood: return "good";
    case LatencyBand::kServoOnly: return "servo only";
    case LatencyBand::kUnusable: return "unusable";
  }
  return "?";
}

const char* band_meaning(LatencyBand band) noexcept {
  switch (band) {
    case LatencyBand::kExcellent: return "software stepping at high rates (~100 kHz class)";
    case LatencyBand::kGood: return "software stepping at moderate rates";
    case LatencyBand::kServoOnly: return "servo threads only; step with hardware (FPGA, PIO)";
    case LatencyBand::kUnusable: return "not usable for real-time control; run `rtstep doctor`";
  }
  return "?";
}

StepAdvice step_advice(int64_t base_max_latency_ns) noexcept {
  StepAdvice a;
  const int64_t latency = std::max<int64_t>(base_max_latency_ns, 1);
  a.min_base_period_ns = 2 * latency;
  a.max_step_rate_hz = 1'000'000'000 / (10 * a.min_base_period_ns);
  constexpr int64_t kStep = 10'000;
  const int64_t wanted = latency + latency / 4;
  a.slack_ns = std::clamp<int64_t>((wanted + kStep - 1) / kStep * kStep, kStep, 10'000'000);
  return a;
}

Result<LatencyReport> run_latency_test(const LatencyTestConfig& config) {
  if (config.threads.empty()) return Error{"latency: no measuring thread"};
  if (config.duration_ns <= 0) return Error{"latency: duration must be > 0"};
  std::vector<PeriodicSpec> specs;
  for (const auto& t : config.threads) specs.push_back(measuring_spec(t, config));
  if (auto st = check_periodic_set(specs); !st) return Error{"latency: " + st.error().message};

  LatencyReport report;
  DmaLatencyHold dma(config.hold_dma_latency);
  if (!dma.error().empty()) {
    report.warnings.push_back("/dev/cpu_dma_latency not held (" + dma.error() + "): deep C-states may add latency");
  }
  BackgroundLoad load;
  if (auto st = load.start(config.load); !st) return Error{"latency: background load: " + st.error().message};
  report.load = load.description();

  std::vector<std::unique_ptr<PeriodicThread>> threads;
  std::vector<PeriodicThread*> pointers;
  for (auto& s : specs) {
    threads.push_back(std::make_unique<PeriodicThread>(std::move(s)));
    pointers.push_back(threads.back().get());
  }
  const int64_t begin = monotonic_ns();
  if (auto st = start_periodic_set(pointers); !st) return Error{"latency: " + st.error().message};
  std::this_thread::sleep_for(std::chrono::nanoseconds(config.duration_ns));
  for (auto* t : pointers) t->request_stop();
  for (auto* t : pointers) t->join();
  report.duration_ns = monotonic_ns() - begin;
  load.stop();

  for (size_t i = 0; i < threads.size(); ++i) {
    LatencyThreadResult r;
    r.config = config.threads[i];
    r.stats = threads[i]->stats();
    r.realtime = threads[i]->placement().realtime;
    r.warning = threads[i]->placement().warning;
    r.overrun = threads[i]->take_overrun_report().value_or("");
    r.band = latency_band(r.stats.latency.max_ns);
    if (!r.warning.empty()) report.warnings.push_back(r.config.label + ": " + r.warning);
    report.threads.push_back(std::move(r));
  }
  const auto fastest = std::min_element(report.threads.begin(), report.threads.end(), [](const auto& a, const auto& b) {
    return a.config.period_ns < b.config.period_ns;
  });
  report.advice = step_advice(fastest->stats.latency.max_ns);
  return report;
}

}  // namespace rtstep::rt
