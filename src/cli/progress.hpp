#pragma once
// Progress of long commands on stderr: a bar redrawn in place on a terminal, a plain line every few seconds
// otherwise (a log file or a pipe gets lines, not carriage returns). `rtstep run` shows the share of the
// G-code file read and of the planned motion executed; `latency`, `bench ipc` and `bench soak` show theirs
// through the general form (a fraction and a line of text). Non-real-time.

#include <atomic>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <thread>

namespace rtstep::cli {

struct ProgressSample {
  uint64_t file_bytes = 0, file_size = 0;
  double executed_s = 0, planned_s = 0;  // motion executed and motion sent, seconds
  uint64_t steps = 0;
};

// One reading of any long work: how far (0..1, drawn as the bar) and what to say beside it.
struct ProgressLine {
  double fraction = 0;
  std::string text;
};

class Progress {
 public:
  // `sample` is called on the progress thread; it must only read atomics (or other thread-safe state).
  Progress(std::ostream& out, bool terminal, std::function<ProgressSample()> sample);
  Progress(std::ostream& out, bool terminal, std::function<ProgressLine()> line);
  ~Progress();
  void start();
  void stop();  // prints the last state and ends the line

 private:
  void loop();
  void draw(const ProgressLine& line, bool final);
  std::ostream& out_;
  bool terminal_;
  std::function<ProgressLine()> line_;
  std::thread thread_;
  std::atomic<bool> quit_{false};
};

// A progress line for work of a known length in seconds ("latency: 12 s of 600 s"), from a steady clock
// started when it is made.
std::function<ProgressLine()> elapsed_progress(std::string what, double total_s);

}  // namespace rtstep::cli
