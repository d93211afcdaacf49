// Background load threads (see load.hpp).
#include "rt/load.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

namespace rtstep::rt {

void cpu_load(BackgroundLoad& load, const std::string&) {
  volatile uint64_t x = 1;
  while (!load.stop_.load(std::memory_order_relaxed)) {
    for (int i = 0; i < 100'000; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    load.iterations_.fetch_add(1, std::memory_order_relaxed);
  }
}

void memory_load(BackgroundLoad& load, const std::string&) {
  constexpr size_t kBytes = 32 << 20;  // larger than any L3 cache of the target boards
  std::vector<char> a(kBytes, 1);
  std::vector<char> b(kBytes, 2);
  while (!load.stop_.load(std::memory_order_relaxed)) {
    std::memcpy(b.data(), a.data(), kBytes);
    std::swap(a, b);
    load.iterations_.fetch_add(1, std::memory_order_relaxed);
  }
}

void io_load(BackgroundLoad& load, const std::string& dir) {
  const std::string path = dir + "/rtstep-load-" + std::to_string(getpid()) + ".tmp";
  std::vector<char> block(1 << 20, 'x');
  while (!load.stop_.load(std::memory_order_relaxed)) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) break;
    for (int i = 0; i < 4 && !load.stop_.load(std::memory_order_relaxed); ++i) {
      if (write(fd, block.data(), block.size()) < 0) break;
    }
    fsync(fd);
    close(fd);
    load.iterations_.fetch_add(1, std::memory_order_relaxed);
  }
  unlink(path.c_str());
}

BackgroundLoad::~BackgroundLoad() { stop(); }

Status BackgroundLoad::spawn(const std::string& name, void (*body)(BackgroundLoad&, const std::string&),
                             const std::string& arg) {
  ThreadSpec spec;
  spec.name = name;
  spec.policy = Policy::kOther;
  auto thread = std::make_unique<Thread>();
  if (auto st = thread->start(spec, [this, body, arg] { body(*this, arg); }); !st) return st;
  threads_.push_back(std::move(thread));
  return Ok{};
}

Status BackgroundLoad::start(const LoadConfig& config) {
  stop_.store(false);
  if (config.cpu) {
    const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < cpus; ++i) {
      if (auto st = spawn("rtstep-load-cpu", cpu_load, ""); !st) return st;
    }
    parts_.push_back("cpu x" + std::to_string(cpus));
  }
  if (config.memory) {
    if (auto st = spawn("rtstep-load-mem", memory_load, ""); !st) return st;
    parts_.push_back("memory");
  }
  if (config.io) {
    if (auto st = spawn("rtstep-load-io", io_load, config.io_dir); !st) return st;
    parts_.push_back("io");
  }
  return Ok{};
}

void BackgroundLoad::stop() {
  stop_.store(true);
  for (auto& t : threads_) t->join();
  threads_.clear();
}

std::string BackgroundLoad::description() const {
  std::string out;
  for (const auto& p : parts_) out += (out.empty() ? "" : "+") + p;
  return out.empty() ? "none" : out;
}

}  // namespace rtstep::rt
