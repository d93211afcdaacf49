// RunThreads (see run_threads.hpp).
#include "machine/run_threads.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "rt/hierarchy_config.hpp"

namespace rtstep::machine {

// The calling thread's scheduling before rtstep-host was applied.
struct RunThreads::Saved {
  char name[16] = {};
  int policy = SCHED_OTHER;
  sched_param param{};
  int nice = 0;
  cpu_set_t cpus{};
  bool have_cpus = false;
};

namespace {

std::unique_ptr<RunThreads::Saved> save_current() {
  auto saved = std::make_unique<RunThreads::Saved>();
  pthread_getname_np(pthread_self(), saved->name, sizeof saved->name);
  saved->policy = sched_getscheduler(0);
  sched_getparam(0, &saved->param);
  saved->nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  saved->have_cpus = sched_getaffinity(0, sizeof saved->cpus, &saved->cpus) == 0;
  return saved;
}

std::string describe(const rt::ThreadSpec& spec, const rt::Placement& placement) {
  // A refused placement says what was asked and that it was not granted, never the policy as if it held.
  std::string text = spec.name + (placement.warning.empty() ? " " : " asked for ") + rt::policy_name(spec.policy);
  text += spec.policy == rt::Policy::kOther ? fmt::format(" nice {}", spec.nice) : fmt::format(" {}", spec.priority);
  if (!spec.cpus.empty()) text += fmt::format(" on CPUs {}", fmt::join(spec.cpus, ","));
  if (!placement.warning.empty()) text += ", refused: runs SCHED_OTHER, not real-time (see the warning)";
  return text;
}

}  // namespace

RunThreads::RunThreads(rt::Hierarchy hierarchy, std::unique_ptr<Saved> saved) noexcept
    : hierarchy_(std::move(hierarchy)), saved_(std::move(saved)) {}

RunThreads::RunThreads(RunThreads&& other) noexcept
    : hierarchy_(std::move(other.hierarchy_)),
      saved_(std::move(other.saved_)),
      description_(std::move(other.description_)),
      warning_(std::move(other.warning_)) {}

Result<RunThreads> RunThreads::place_host(const config::RtConfig& rt_config) {
  auto hierarchy = rt::hierarchy_from(rt_config);
  if (!hierarchy) return hierarchy.error();
  RunThreads threads(*hierarchy, save_current());
  const rt::ThreadSpec spec = rt::thread_spec(rt::Role::kHost, *hierarchy);
  auto placed = rt::place_current_thread(spec);
  if (!placed) return placed.error();
  threads.description_ = describe(spec, *placed);
  threads.warning_ = placed->warning;
  return threads;
}

std::string RunThreads::place_log() const {
  auto placed = rt::place_current_thread(rt::thread_spec(rt::Role::kLog, hierarchy_));
  if (!placed) return placed.error().message;
  return placed->warning;
}

RunThreads::~RunThreads() {
  if (!saved_) return;
  pthread_setname_np(pthread_self(), saved_->name);
  sched_setscheduler(0, saved_->policy, &saved_->param);
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), saved_->nice);
  if (saved_->have_cpus) sched_setaffinity(0, sizeof saved_->cpus, &saved_->cpus);
}

}  // namespace rtstep::machine
