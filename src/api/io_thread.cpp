// The API thread: placement, the loop, and the helpers every server shares (client ids, the default log).

#include "api/io_thread.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <iostream>

#include <asio/post.hpp>
#include <sys/resource.h>
#include <sys/syscall.h>

namespace rtstep::api {

ClientId next_client_id() noexcept {
  static std::atomic<ClientId> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

LogFn stderr_log() {
  return [](const std::string& line) { std::cerr << "rtstep: " << line << '\n'; };
}

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Applies `p` to the calling thread. The API thread is not on the real-time path: every refusal is a
// logged warning, never a failure.
void place_this_thread(const ThreadPlacement& p, const LogFn& log) {
  if (!p.name.empty()) {
    const std::string name = p.name.substr(0, 15);
    pthread_setname_np(pthread_self(), name.c_str());
  }
  if (!p.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : p.cpus) {
      if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
    }
    if (const int err = pthread_setaffinity_np(pthread_self(), sizeof set, &set); err != 0) {
      log("api thread: CPU affinity refused (" + errno_text(err) + "); keeping the inherited CPUs");
    }
  }
  if (p.fifo_priority > 0) {
    sched_param param{};
    param.sched_priority = p.fifo_priority;
    if (const int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param); err != 0) {
      log("api thread: SCHED_FIFO " + std::to_string(p.fifo_priority) + " refused (" + errno_text(err) +
          "); running SCHED_OTHER");
    }
    return;
  }
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  if (setpriority(PRIO_PROCESS, tid, p.nice) != 0) {
    log("api thread: nice " + std::to_string(p.nice) + " refused (" + errno_text(errno) + ")");
  }
}

}  // namespace

IoThread::IoThread(ThreadPlacement placement, LogFn log)
    : io_(std::make_shared<asio::io_context>(1)), work_(asio::make_work_guard(*io_)) {
  thread_ = std::thread([io = io_, placement = std::move(placement), log = std::move(log)] {
    place_this_thread(placement, log);
    io->run();
  });
}

IoThread::~IoThread() { stop(); }

void IoThread::stop() {
  work_.reset();
  io_->stop();
  if (thread_.joinable()) thread_.join();
}

void run_on(asio::io_context& io, const std::function<void()>& fn) {
  if (io.get_executor().running_in_this_thread()) {
    fn();
    return;
  }
  std::promise<void> done;
  asio::post(io, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace rtstep::api
