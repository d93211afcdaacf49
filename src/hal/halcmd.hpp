#pragma once
// The halcmd command language on a Hal: .hal files, `source`, and one line at a time for the interactive
// prompt. Errors print as LinuxCNC 2.9's halcmd prints them, so scripts that compare its output agree:
// "FILE:LINE: message" for what halcmd finds (a command given on the command line is "<commandline>:0");
// a mistake the HAL library finds as "HAL: ERROR: message" followed by "FILE:LINE: addf failed" (link,
// unlink, delf, newsig, alias, ...); a component that does not load as the loader's line "COMP: message"
// followed by "FILE:LINE: insmod for COMP failed, returned -1". The first error stops a file unless
// keep_going (-k). Non-real-time.

#include <functional>
#include <iostream>
#include <istream>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hal/hal.hpp"
#include "hal/lexer.hpp"
#include "hal/user_programs.hpp"

namespace rtstep::hal {

class Halcmd {
 public:
  Halcmd(Hal& hal, std::ostream& out, std::ostream& err);

  void set_ini(const IniFile* ini) { ini_ = ini; }
  void set_keep_going(bool keep_going) { keep_going_ = keep_going; }
  // halcmd's switches: -s script mode (show without titles, packed fields; see show.hpp); -e echo (each
  // command line is printed on the error stream as "(LINE)<echo>: TEXT" before it runs; also the `echo` /
  // `unecho` commands); -Q quiet, as halcmd's: the HAL library's and the loader's lines and the output of
  // show, list and status are not printed (halcmd's own error lines still are); -v verbose (each command
  // that succeeded is reported on the error stream as "FILE:LINE: ok: COMMAND").
  void set_script_mode(bool script) { script_ = script; }
  void set_echo(bool echo) { echo_ = echo; }
  void set_quiet(bool quiet) { quiet_ = quiet; }
  void set_verbose(bool verbose) { verbose_ = verbose; }
  void set_env_lookup(EnvLookup lookup) { env_ = lookup; }
  // Where `loadusr halstreamer` without a file reads rows (default: standard input).
  void set_input(std::istream& in) { programs_.set_input(&in); }
  // loadusr's programs (built-in tools, child processes): stop_all() them before the HAL shuts down.
  UserPrograms& user_programs() { return programs_; }

  // Runs a file; returns false after an error that stopped it (or, with -k, when any error happened).
  bool run_file(const std::string& path);
  // Runs lines from a stream named `source_name` in messages; `prompt` (may be empty) is printed before
  // each line for the interactive mode.
  bool run_stream(std::istream& in, const std::string& source_name, std::string_view prompt = {});
  // Runs one command given on the command line (halcmd's one-shot form) and prints its error as halcmd
  // does ("<commandline>:0: message"). False after an error.
  bool run_command(std::span<const std::string> tokens);
  // Runs one command (already tokenized). The HAL library's and the loader's lines are printed on the error
  // stream at once; halcmd's own lines come back without the location (several are separated by '\n'; an
  // empty message: nothing more to print).
  Status execute(std::span<const std::string> tokens);

  int error_count() const noexcept { return errors_; }
  // A word halcmd knows as a command (`show`, `loadrt`, ...): tells a one-shot command on rtstep hal's
  // command line from a file name.
  static bool is_command(std::string_view word);
  bool quit_requested() const noexcept { return quit_; }

 private:
  bool run_lines(const std::vector<SourceLine>& lines, const std::string& source_name);
  // Prints an error's lines at the current location.
  void report(const Error& error);
  // A mistake the HAL library found: "HAL: ERROR: message" on the error stream (unless -Q), and halcmd's
  // "<failed> failed" line to report (none when `failed` is empty).
  Status library(Status st, std::string_view failed);
  // The command after its arguments were counted (and net's arrows removed).
  Status dispatch(const std::string& cmd, std::span<const std::string> args);
  Status cmd_loadrt(std::span<const std::string> args);
  Status cmd_loadusr(std::span<const std::string> args);
  Status add_function(std::string_view cmd, std::span<const std::string> args, bool init);  // addf, initf
  Status preflight_net(const std::string& name, const SignalRecord* sig, std::span<const std::string> pins) const;
  Status cmd_net(std::span<const std::string> args);
  Status cmd_newsig(std::span<const std::string> args);
  Status cmd_delsig(const std::string& name);
  Status cmd_setexact();
  Status cmd_show(std::span<const std::string> args, bool is_list);
  Status cmd_source(std::span<const std::string> args);
  Status cmd_newthread(std::span<const std::string> args);
  // halcmd_admin.cpp
  Status cmd_unloadrt(std::span<const std::string> args);
  Status cmd_lock(std::span<const std::string> args, bool lock);
  Status cmd_status(std::span<const std::string> args);
  Status cmd_save(std::span<const std::string> args);
  Status cmd_type(std::span<const std::string> args, bool signal);
  Status cmd_alias(std::span<const std::string> args, bool add);  // alias / unalias
  // The lock level forbids `cmd` (LinuxCNC's: load 1, config 2, params 4, run 8).
  Status check_lock(const std::string& cmd) const;
  std::string save_text(std::string_view what) const;

  Hal& hal_;
  std::ostream& out_;
  std::ostream& err_;
  const IniFile* ini_ = nullptr;
  EnvLookup env_ = nullptr;
  bool keep_going_ = false;
  bool script_ = false;
  bool echo_ = false;
  bool quiet_ = false;
  bool verbose_ = false;
  bool quit_ = false;
  int errors_ = 0;
  int source_depth_ = 0;
  std::string location_ = "<commandline>:0";  // "FILE:LINE" of the command running, for its messages
  UserPrograms programs_;  // declared last but one: its background tools use the members above
  unsigned lock_ = 0;  // lock bits (check_lock)
  // What each `loadrt` that succeeded asked for, for `save`: component name and its arguments.
  std::vector<std::pair<std::string, std::string>> load_lines_;
};

}  // namespace rtstep::hal
