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

ProgressLine run_line(const ProgressSample& s) {
  const double file = s.file_size == 0 ? 100.0 : 100.0 * static_cast<double>(s.file_bytes) / static_cast<double>(s.file_size);
  const double motion = s.planned_s <= 0 ? 0.0 : std::clamp(s.executed_s / s.planned_s, 0.0, 1.0);
  return {motion, fmt::format("file {:5.1f}% | motion {:7.2f} s of {:7.2f} s planned ({:5.1f}%) | {} steps", file,
                              s.executed_s, s.planned_s, 100.0 * motion, s.steps)};
}
}  // namespace

Progress::Progress(std::ostream& out, bool terminal, std::function<ProgressSample()> sample)
    : Progress(out, terminal, std::function<ProgressLine()>([sample = std::move(sample)] { return run_line(sample()); })) {}

Progress::Progress(std::ostream& out, bool terminal, std::function<ProgressLine()> line)
    : out_(out), terminal_(terminal), line_(std::move(line)) {}

Progress::~Progress() { stop(); }

void Progress::start() { thread_ = std::thread([this] { loop(); }); }

void Progress::stop() {
  if (!thread_.joinable()) return;
  quit_.store(true, std::memory_order_release);
  thread_.join();
  draw(line_(), true);
}

void Progress::loop() {
  int tick = 0;
  while (!quit_.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(kTick);
    if (++tick % (terminal_ ? kTerminalEvery : kPlainEvery) == 0) draw(line_(), false);
  }
}

void Progress::draw(const ProgressLine& line, bool final) {
  if (terminal_) {
    const int filled = static_cast<int>(std::clamp(line.fraction, 0.0, 1.0) * kBarWidth + 0.5);
    // "\033[K" clears what a longer previous line left to the right.
    out_ << '\r' << '[' << std::string(static_cast<std::size_t>(filled), '#')
         << std::string(static_cast<std::size_t>(kBarWidth - filled), '.') << "] " << line.text << "\033[K"
         << (final ? "\n" : "") << std::flush;
  } else {
    out_ << "progress: " << line.text << '\n' << std::flush;
  }
}

std::function<ProgressLine()> elapsed_progress(std::string what, double total_s) {
  const auto start = std::chrono::steady_clock::now();
  return [what = std::move(what), total_s, start] {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double fraction = total_s > 0 ? std::clamp(elapsed / total_s, 0.0, 1.0) : 0.0;
    return ProgressLine{fraction, fmt::format("{}: {:.0f} s of {:.0f} s ({:.0f}%)", what, std::min(elapsed, total_s),
                                              total_s, 100.0 * fraction)};
  };
}

}  // namespace rtstep::cli
