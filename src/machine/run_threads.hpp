#pragma once
// rtstep run's own threads in the [rt] hierarchy (rt/hierarchy.hpp): the thread that plans and feeds the
// ring runs as rtstep-host, the progress display as rtstep-log; the executor places itself. The calling
// thread's name, policy, priority, nice and CPUs are put back when the job is over, so a process that
// runs jobs in-process (the tests) is left as it was. Non-real-time.

#include <memory>
#include <string>

#include "config/config.hpp"
#include "rt/hierarchy.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

class RunThreads {
 public:
  // Places the calling thread as rtstep-host. Errors: an inconsistent [rt] hierarchy, or a refused
  // real-time policy when allow_non_realtime is off (the message says which limit and the fixes).
  static Result<RunThreads> place_host(const config::RtConfig& rt);
  RunThreads(RunThreads&& other) noexcept;
  RunThreads(const RunThreads&) = delete;
  RunThreads& operator=(const RunThreads&) = delete;
  RunThreads& operator=(RunThreads&&) = delete;
  ~RunThreads();  // restores the calling thread's scheduling (call on the thread that placed)

  // Places the calling thread as rtstep-log; returns a warning when something was refused, else "".
  std::string place_log() const;
  // "rtstep-host SCHED_FIFO 60", with "(not real-time: ...)" when it fell back.
  const std::string& host_description() const noexcept { return description_; }
  const std::string& host_warning() const noexcept { return warning_; }

  struct Saved;  // the calling thread's scheduling before placement (run_threads.cpp)

 private:
  RunThreads(rt::Hierarchy hierarchy, std::unique_ptr<Saved> saved) noexcept;
  rt::Hierarchy hierarchy_;
  std::unique_ptr<Saved> saved_;
  std::string description_;
  std::string warning_;
};

}  // namespace rtstep::machine
