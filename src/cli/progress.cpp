// Progress (see progress.hpp).
#include "cli/progress.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include <fmt/format.h>

namespace rtstep::cli {

namespace {
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr int kTerminalEvery = 3;   // ticks between redraws on a terminal (0.3 s)
constexpr int kPlainEvery = 50;     // ticks between plain lines (5 s)
constexpr int kBarWidth = 30;
}  // namespace

Progress::Progress(std::ostream& out, bool terminal, std::function<ProgressSample()> sample)
    : out_(out), terminal_(terminal), sample_(std::move(sample)) {}

Progress::~Progress() { stop(); }

void Progress::start() { thread_ = std::thread([this] { loop(); }); }

void Progress::stop() {
  if (!thread_.joinable()) return;
  quit_.store(true, std::memory_order_release);
  thread_.join();
  draw(sample_(), true);
}

void Progress::loop() {
  int tick = 0;
  while (!quit_.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(kTick);
    if (++tick % (terminal_ ? kTerminalEvery : kPlainEvery) == 0) draw(sample_(), false);
  }
}

void Progress::draw(const ProgressSample& s, bool final) {
  const double file = s.file_size == 0 ? 100.0 : 100.0 * static_cast<double>(s.file_bytes) / static_cast<double>(s.file_size);
  const double motion = s.planned_s <= 0 ? 0.0 : 100.0 * std::clamp(s.executed_s / s.planned_s, 0.0, 1.0);
  const std::string text = fmt::format("file {:5.1f}% | motion {:7.2f} s of {:7.2f} s planned ({:5.1f}%) | {} steps",
                                       file, s.executed_s, s.planned_s, motion, s.steps);
  if (terminal_) {
    const int filled = static_cast<int>(motion / 100.0 * kBarWidth + 0.5);
    out_ << '\r' << '[' << std::string(static_cast<std::size_t>(filled), '#')
         << std::string(static_cast<std::size_t>(kBarWidth - filled), '.') << "] " << text << (final ? "\n" : "")
         << std::flush;
  } else {
    out_ << "progress: " << text << '\n' << std::flush;
  }
}

}  // namespace rtstep::cli
