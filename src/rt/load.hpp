#pragma once
// Built-in background load for `rtstep latency` (what stress / hackbench provide beside cyclictest):
// CPU, memory-bandwidth and I/O threads at SCHED_OTHER, named rtstep-load-*. Non-real-time.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "rt/latency.hpp"
#include "rt/thread.hpp"
#include "util/result.hpp"

namespace rtstep::rt {

class BackgroundLoad {
 public:
  BackgroundLoad() = default;
  ~BackgroundLoad();  // stops and joins
  BackgroundLoad(const BackgroundLoad&) = delete;
  BackgroundLoad& operator=(const BackgroundLoad&) = delete;

  Status start(const LoadConfig& config);
  void stop();
  std::string description() const;  // "none", "cpu x2+memory+io"
  // Work done so far (loop iterations of every load thread): a test's proof that the load ran.
  uint64_t iterations() const noexcept { return iterations_.load(std::memory_order_relaxed); }

 private:
  Status spawn(const std::string& name, void (*body)(BackgroundLoad&, const std::string&), const std::string& arg);
  std::vector<std::unique_ptr<Thread>> threads_;
  std::vector<std::string> parts_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> iterations_{0};

  friend void cpu_load(BackgroundLoad&, const std::string&);
  friend void memory_load(BackgroundLoad&, const std::string&);
  friend void io_load(BackgroundLoad&, const std::string&);
};

}  // namespace rtstep::rt
