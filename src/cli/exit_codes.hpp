#pragma once
// The exit codes of every rtstep command: one table, documented in docs/cli.md ("Exit codes"). The codes
// `rtstep run` has always used (its ExitCode) are the table; every other command maps its outcomes onto
// them, so a script reads the same number the same way whatever the command. Non-real-time.

namespace rtstep::cli::exit_code {

inline constexpr int kOk = 0;
// A usage error (unknown option or command, a missing or bad argument) or a bad input file named on the
// command line (printer.cfg, a .hal or INI file, a trace file): nothing ran.
inline constexpr int kUsage = 1;
// A G-code or motion error: the job stopped at that line (motion already queued was finished).
inline constexpr int kJob = 2;
// A run-time fault: the executor (underrun, invalid record), a device, or real-time setup was refused.
inline constexpr int kFault = 3;
// The work ran but its check failed: a stepper not where planned, lost steps, a doctor check FAILed.
inline constexpr int kCheckFailed = 4;
// A safety stop, or SIGINT/SIGTERM caught and acted on (the machine was stopped safely).
inline constexpr int kStopped = 5;
// The work ran, but an output it was asked for is incomplete or could not be written (--trace, --svg, --vcd).
inline constexpr int kIncomplete = 6;
// A signal the command does not catch ends it the default way: the shell shows 128 + the signal number.
inline constexpr int kSignalBase = 128;

}  // namespace rtstep::cli::exit_code
