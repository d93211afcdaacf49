// pid: a PID loop with feed-forward, as LinuxCNC's pid (gains are pins, so they can be wired).
// Function pid.N.do-pid-calcs, one per channel; real-time safe (arithmetic only).
//
// Each call: err = command - feedback (or the previous command - feedback with error-previous-target,
// LinuxCNC's default); clamped to maxerror, deadband subtracted; the integrator adds err * dt unless the
// output is saturated in the same direction (anti-windup), clamped to maxerrorI; the derivative terms
// come from the -deriv pins when linked, else finite differences; out = bias + P*err + I*errI + D*errD +
// FF0*cmd + FF1*cmd' + FF2*cmd'' + FF3*cmd''', clamped to maxoutput. A max* of 0 means no limit.
// Disabled: output 0 and the integrator reset.
#include <cmath>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

struct Pid : Instance {
  Pin<bool> enable, error_previous_target, index_enable;
  Pin<double> command, command_deriv, feedback, feedback_deriv;
  Pin<double> pgain, igain, dgain, bias, ff0, ff1, ff2, ff3;
  Pin<double> deadband, maxerror, maxerror_i, maxerror_d, maxcmd_d, maxcmd_dd, maxcmd_ddd, maxoutput;
  Pin<double> error, output;
  Pin<bool> saturated;
  Pin<double> saturated_s;
  Pin<int32_t> saturated_count;
  double prev_cmd = 0, prev_fb = 0, prev_cmd_d = 0, prev_cmd_dd = 0, error_i = 0;
  double saturated_time = 0;
  bool first = true;
};

double limit(double v, double max) noexcept { return max > 0 ? std::clamp(v, -max, max) : v; }

void pid_fn(void* arg, int64_t period_ns) noexcept {
  auto& p = *static_cast<Pid*>(arg);
  const double dt = static_cast<double>(period_ns) * 1e-9;
  const double cmd = p.command.get();
  const double fb = p.feedback.get();
  if (p.first) {
    p.prev_cmd = cmd;
    p.prev_fb = fb;
    p.first = false;
  }
  double err = (p.error_previous_target.get() ? p.prev_cmd : cmd) - fb;
  err = limit(err, p.maxerror.get());
  const double db = p.deadband.get();
  if (err > db) err -= db;
  else if (err < -db) err += db;
  else err = 0;
  p.error.set(err);
  // Derivatives: the internal differences stand in for unlinked -deriv pins (written back to them).
  const double cmd_d = limit((cmd - p.prev_cmd) / dt, p.maxcmd_d.get());
  const double cmd_dd = limit((cmd_d - p.prev_cmd_d) / dt, p.maxcmd_dd.get());
  const double cmd_ddd = limit((cmd_dd - p.prev_cmd_dd) / dt, p.maxcmd_ddd.get());
  const double fb_d = (fb - p.prev_fb) / dt;
  p.prev_cmd = cmd;
  p.prev_fb = fb;
  p.prev_cmd_d = cmd_d;
  p.prev_cmd_dd = cmd_dd;
  if (!p.command_deriv.linked()) p.command_deriv.set(cmd_d);
  if (!p.feedback_deriv.linked()) p.feedback_deriv.set(fb_d);
  const double err_d = limit(p.command_deriv.get() - p.feedback_deriv.get(), p.maxerror_d.get());
  if (!p.enable.get()) {
    p.error_i = 0;
    p.output.set(0.0);
    p.saturated.set(false);
    p.saturated_s.set(0.0);
    p.saturated_count.set(0);
    p.saturated_time = 0;
    return;
  }
  // Anti-windup: no integration while the output is saturated in the error's direction.
  const double last_out = p.output.get();
  const double maxout = p.maxoutput.get();
  const bool sat_same_dir = maxout > 0 && ((last_out >= maxout && err > 0) || (last_out <= -maxout && err < 0));
  if (!sat_same_dir) p.error_i = limit(p.error_i + err * dt, p.maxerror_i.get());
  double out = p.bias.get() + p.pgain.get() * err + p.igain.get() * p.error_i + p.dgain.get() * err_d +
               p.ff0.get() * cmd + p.ff1.get() * p.command_deriv.get() + p.ff2.get() * cmd_dd + p.ff3.get() * cmd_ddd;
  const bool saturated = maxout > 0 && std::fabs(out) >= maxout;
  out = limit(out, maxout);
  p.output.set(out);
  p.saturated.set(saturated);
  if (saturated) {
    p.saturated_time += dt;
    p.saturated_count.set(p.saturated_count.get() + 1);
  } else {
    p.saturated_time = 0;
    p.saturated_count.set(0);
  }
  p.saturated_s.set(p.saturated_time);
}

}  // namespace

Status load_pid(Hal& hal, LoadArgs& args) {
  args.alias("num_chan", "count");
  if (auto d = args.take("debug")) {
    if (*d != "0") return Error{"loadrt pid: debug=" + *d + " is not supported by rtstep (debug=0 only)"};
  }
  // LinuxCNC's pid defaults to 3 channels.
  auto names = instance_names("pid", args, 3, 16);
  if (!names) return Error{"loadrt pid: " + names.error().message};
  if (auto st = args.check_all_used("pid"); !st) return Error{"loadrt pid: " + st.error().message};
  return load_component(hal, "pid", [&](Builder& b) -> Status {
    for (const std::string& n : *names) {
      Pid& p = b.make<Pid>();
      b.pin(n + ".enable", Dir::kIn, p.enable);
      b.pin(n + ".error-previous-target", Dir::kIn, p.error_previous_target, true);
      b.pin(n + ".index-enable", Dir::kIn, p.index_enable);
      b.pin(n + ".command", Dir::kIn, p.command);
      b.pin(n + ".command-deriv", Dir::kIn, p.command_deriv);
      b.pin(n + ".feedback", Dir::kIn, p.feedback);
      b.pin(n + ".feedback-deriv", Dir::kIn, p.feedback_deriv);
      b.pin(n + ".Pgain", Dir::kIn, p.pgain, 1.0);
      b.pin(n + ".Igain", Dir::kIn, p.igain);
      b.pin(n + ".Dgain", Dir::kIn, p.dgain);
      b.pin(n + ".bias", Dir::kIn, p.bias);
      b.pin(n + ".FF0", Dir::kIn, p.ff0);
      b.pin(n + ".FF1", Dir::kIn, p.ff1);
      b.pin(n + ".FF2", Dir::kIn, p.ff2);
      b.pin(n + ".FF3", Dir::kIn, p.ff3);
      b.pin(n + ".deadband", Dir::kIn, p.deadband);
      b.pin(n + ".maxerror", Dir::kIn, p.maxerror);
      b.pin(n + ".maxerrorI", Dir::kIn, p.maxerror_i);
      b.pin(n + ".maxerrorD", Dir::kIn, p.maxerror_d);
      b.pin(n + ".maxcmdD", Dir::kIn, p.maxcmd_d);
      b.pin(n + ".maxcmdDD", Dir::kIn, p.maxcmd_dd);
      b.pin(n + ".maxcmdDDD", Dir::kIn, p.maxcmd_ddd);
      b.pin(n + ".maxoutput", Dir::kIn, p.maxoutput);
      b.pin(n + ".error", Dir::kOut, p.error);
      b.pin(n + ".output", Dir::kOut, p.output);
      b.pin(n + ".saturated", Dir::kOut, p.saturated);
      b.pin(n + ".saturated-s", Dir::kOut, p.saturated_s);
      b.pin(n + ".saturated-count", Dir::kOut, p.saturated_count);
      b.function(n + ".do-pid-calcs", &pid_fn, &p);
    }
    return Ok{};
  });
}

}  // namespace rtstep::hal
