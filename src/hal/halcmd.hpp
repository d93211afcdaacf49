#pragma once
// The halcmd command language on a Hal: .hal files, `source`, and one line at a time for the interactive
// prompt. Errors print as "FILE:LINE: error: message"; the first one stops a file unless keep_going (-k).
// Non-real-time.

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
  // command line is printed before it runs; also the `echo` / `unecho` commands); -Q quiet (errors are
  // counted but not printed); -v verbose (each command that succeeded is reported on the error stream as
  // "FILE:LINE: ok: COMMAND").
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
  // Runs one command (already tokenized). Errors come back without the location.
  Status execute(std::span<const std::string> tokens);

  int error_count() const noexcept { return errors_; }
  // A word halcmd knows as a command (`show`, `loadrt`, ...): tells a one-shot command on rtstep hal's
  // command line from a file name.
  static bool is_command(std::string_view word);
  bool quit_requested() const noexcept { return quit_; }

 private:
  bool run_lines(const std::vector<SourceLine>& lines, const std::string& source_name);
  Status cmd_loadrt(std::span<const std::string> args);
  Status cmd_loadusr(std::span<const std::string> args);
  Status cmd_waitusr(std::span<const std::string> args, bool unload);  // waitusr, unloadusr
  Status cmd_addf(std::span<const std::string> args);
  Status add_function(std::string_view cmd, std::span<const std::string> args, bool init);  // addf, initf
  Status cmd_net(std::span<const std::string> args);
  Status cmd_linkps(std::span<const std::string> args, bool pin_first);
  Status cmd_newsig(std::span<const std::string> args);
  Status cmd_show(std::span<const std::string> args, bool is_list);
  Status cmd_source(std::span<const std::string> args);
  Status cmd_newthread(std::span<const std::string> args);
  // halcmd_admin.cpp
  Status cmd_initf(std::span<const std::string> args);
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
  UserPrograms programs_;  // declared last but one: its background tools use the members above
  unsigned lock_ = 0;  // lock bits (check_lock)
  // What each `loadrt` that succeeded asked for, for `save`: component name and its arguments.
  std::vector<std::pair<std::string, std::string>> load_lines_;
};

}  // namespace rtstep::hal
