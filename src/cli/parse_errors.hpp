#pragma once
// The command line's own errors, in rtstep's words and with rtstep's exit codes (cli/exit_codes.hpp):
// the argument parser (CLI11) has codes of its own (105, 106, ...) that must not reach the shell, and
// messages that do not name the command. Also the validator of a G-code argument that may be `-` (stdin).
// Non-real-time.

#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

namespace rtstep::cli {

// Prints what went wrong and returns the exit code: --help and --version print on `out` and return 0; a
// missing command prints the help on `err` and returns exit_code::kUsage; an unknown command, option or
// file names the command it belongs to ("rtstep run: --config: File does not exist: x.cfg") on `err` and
// returns exit_code::kUsage.
int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, const char* const* argv,
                       std::ostream& out, std::ostream& err);

// A G-code argument: an existing file, or `-` for standard input.
const CLI::Validator& existing_file_or_stdin();

// The path to open for a G-code argument: `-` becomes /dev/stdin (the descriptor rtstep was given).
std::string gcode_input_path(const std::string& argument);

}  // namespace rtstep::cli

namespace rtstep::cli {

// Why an output file named on the command line could not be written ("" when it can): checked before
// the work starts, so that a ten-minute run does not end in "cannot write". Leaves no file behind.
std::string unwritable_reason(const std::string& path);

}  // namespace rtstep::cli
