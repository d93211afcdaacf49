// `rtstep run`'s side of the controller (controller.hpp): a G-code file or stream as the print job
// (run_file), its progress and the motion session's account for the summary.
#include <fmt/format.h>

#include "machine/controller_impl.hpp"
#include "rt/thread.hpp"

namespace rtstep::machine {

// --- Posting side ----------------------------------------------------------------------------------------

void Controller::run_file(std::string path, std::function<void(JobEnd)> done) {
  Impl* self = impl_.get();
  post_to(*impl_, &Impl::commands, [self, path = std::move(path), done = std::move(done)]() mutable {
    if (self->state != "ready") {
      const JobEnd::Why why = self->state == "error" ? self->startup_failure : JobEnd::Why::kShutdown;
      done(JobEnd{why, self->state == "error" ? self->state_message : self->motion_fault(), {}, self->backend_name()});
      return;
    }
    self->job_done = std::move(done);
    if (auto started = self->start_file_job(path); !started) {
      self->end_job_for_caller(JobEnd::Why::kInput, started.error().message);
    }
  });
}

JobProgress Controller::job_progress() const {
  JobProgress progress;
  progress.file_bytes = impl_->job_position.load(std::memory_order_relaxed);
  progress.file_size = impl_->job_size.load(std::memory_order_relaxed);
  std::lock_guard lock(impl_->motion_mu);
  if (impl_->motion) progress.motion = impl_->motion->progress();
  return progress;
}

std::optional<MotionAccount> Controller::motion_account() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stopped ? impl_->account : std::nullopt;
}

std::string Controller::place_as_log() const {
  std::optional<rt::Hierarchy> hierarchy;
  {
    std::lock_guard lock(impl_->mu);
    hierarchy = impl_->hierarchy;
  }
  if (!hierarchy) return {};
  auto placed = rt::place_current_thread(rt::thread_spec(rt::Role::kLog, *hierarchy));
  return placed ? placed->warning : placed.error().message;
}

// --- Owner thread ----------------------------------------------------------------------------------------

namespace {

// The input of a run_file() job (gcode_input.hpp): while it pauses, the controller goes on serving (status,
// heaters, faults), and once the motion sent would run low it runs to a stop. On the virtual clock, whose
// executor waits for records, it never idles. It gives up when the controller stops or leaves "ready".
class JobInputWait final : public InputWait {
 public:
  explicit JobInputWait(Controller::Impl& impl) : impl_(impl) {}
  int64_t patience_ns() override {
    if (!impl_.motion || impl_.motion->virtual_clock()) return INT64_MAX;
    return impl_.motion->patience_ns();
  }
  void idle() override {
    if (impl_.motion) impl_.motion->idle();
  }
  bool give_up() override {
    impl_.serve_background();
    std::lock_guard lock(impl_.mu);
    return impl_.stopping || impl_.state != "ready";
  }

 private:
  Controller::Impl& impl_;
};

}  // namespace

Status Controller::Impl::start_file_job(const std::string& path) {
  if (job->printing() || job->paused()) return Error{"SD busy"};
  if (!input_wait) input_wait = std::make_unique<JobInputWait>(*this);
  if (auto selected = job->select_path(path, input_wait.get()); !selected) return selected;
  return begin_job();
}

void Controller::Impl::end_job_for_caller(JobEnd::Why why, const std::string& message) {
  if (!job_done) return;
  auto done = std::move(job_done);
  job_done = nullptr;
  done(JobEnd{why, message, job_unknown, backend_name()});
}

}  // namespace rtstep::machine
