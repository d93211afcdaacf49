#pragma once
// The signals of the commands that drive a machine (run, rt, serve): SIGINT and SIGTERM go to the command's
// handler, which only stores the number for its threads to act on. Over RLIMIT_FSIZE (a trace, the ring's
// shared-memory object) a write would raise SIGXFSZ, and a closed log or output pipe SIGPIPE: both would
// kill the process with the machine mid-move, so they are ignored and the write fails with an error instead.
// Init only.

#include <signal.h>

#include <csignal>

namespace rtstep::cli {

inline void install_stop_signals(void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace rtstep::cli
