#pragma once
// Progress of `rtstep run` on stderr: a bar redrawn in place on a terminal, a plain line every few seconds
// otherwise. Shows the share of the G-code file read and of the planned motion executed. Non-real-time.

#include <atomic>
#include <cstdint>
#include <functional>
#include <ostream>
#include <thread>

namespace rtstep::cli {

struct ProgressSample {
  uint64_t file_bytes = 0, file_size = 0;
  double executed_s = 0, planned_s = 0;  // motion executed and motion sent, seconds
  uint64_t steps = 0;
};

class Progress {
 public:
  // `sample` is called on the progress thread; it must only read atomics.
  Progress(std::ostream& out, bool terminal, std::function<ProgressSample()> sample);
  ~Progress();
  void start();
  void stop();  // prints the last state and ends the line

 private:
  void loop();
  void draw(const ProgressSample& s, bool final);
  std::ostream& out_;
  bool terminal_;
  std::function<ProgressSample()> sample_;
  std::thread thread_;
  std::atomic<bool> quit_{false};
};

}  // namespace rtstep::cli
