#pragma once
// IoThread: the API thread. One Asio io_context, run by one thread placed at the API level of the [rt]
// hierarchy; KlippyServer and PrinterPty run all their I/O on it. The completions and pushes the servers
// hand out hold the context weakly (post_if_alive): a controller that answers after the API thread is gone
// posts nothing.

#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "api/api.hpp"

namespace rtstep::api {

class IoThread {
 public:
  // Starts the thread and places it (a refused placement is logged through `log`). Non-real-time.
  explicit IoThread(ThreadPlacement placement = {}, LogFn log = stderr_log());
  ~IoThread();  // stop()
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // Stops the loop and joins. Pending handlers are not run. Any thread but the API thread itself.
  void stop();

  const std::shared_ptr<asio::io_context>& context() const noexcept { return io_; }
  // True on the API thread.
  bool on_this_thread() const noexcept { return io_->get_executor().running_in_this_thread(); }

 private:
  std::shared_ptr<asio::io_context> io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Posts `fn` onto `io` when the context still exists; otherwise drops it. Any thread.
template <typename Fn>
void post_if_alive(const std::weak_ptr<asio::io_context>& io, Fn&& fn) {
  if (const auto alive = io.lock()) asio::post(*alive, std::forward<Fn>(fn));
}

// Runs `fn` on the API thread and waits for it (directly when already there). Non-real-time.
void run_on(asio::io_context& io, const std::function<void()>& fn);

}  // namespace rtstep::api
