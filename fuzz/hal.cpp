// Fuzz target: a .hal file through hal::Halcmd on a hal::Hal (src/hal), without real-time threads.
//
// The first byte chooses -k (keep going, bit 0), -Q (quiet, bit 7) and how many base periods to run
// afterwards (bits 1-6); the rest is the file. Commands that would start threads or leave the process's
// control are not run: an input with `start` (creates SCHED_FIFO threads), `source` (reads any path),
// `loadusr` (sleeps, or waits 5 s for a FIFO) or `save TYPE FILE` (writes a file where the fuzzer runs) is
// skipped whole; `save TYPE` still runs. So is a `loadrt` of a component named like the start of halcmd's
// own lines (`fuzz.hal...`, `HAL...`, `(...`): its loader line "COMP: message" would read as one of them.
// Everything else, including every built-in component, runs for real; the threads a file creates are then
// run synchronously with Hal::run_virtual, so the components' functions meet the fuzzed parameters too.
// Invariants:
// - run_stream's result says whether there was an error (without -k: at most one);
// - the error stream is halcmd's (halcmd.hpp): an error prints zero, one or two lines of its own, so lines
//   are checked, not counted per error. Every "fuzz.hal:N: MESSAGE" line names a line N of the file with
//   a message, and the N of located and echo lines never decrease (the file runs in order); the lines
//   that report errors ("HAL: ERROR: ..." and located lines other than setexact's warning) name no more
//   lines than there were errors. Without -Q, some error line is printed iff there was an error; with -Q,
//   no library or loader line is printed and no error line without an error. Without -k, nothing but
//   error lines of the same line follows the first error line;
// - the graph is consistent: a linked pin's signal lists it and has its type; a signal's reader, writer and
//   bidirectional counts match its pins; at most one writer, never a writer together with I/O pins;
// - values re-serialise: for every writable parameter and every signal without a writer, writing back
//   what getp/gets printed is accepted and reads back as the same text.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "hal/hal.hpp"
#include "hal/halcmd.hpp"
#include "hal/lexer.hpp"

namespace {

namespace hal = rtstep::hal;

constexpr const char* kSource = "fuzz.hal";

// A fixed environment, so $VARIABLES substitute the same way on every run and every machine.
std::optional<std::string> fake_env(const std::string& name) {
  if (name == "PERIOD") return "1000000";
  if (name == "COMP") return "and2";
  return std::nullopt;
}

// A component name that makes the loader's line "COMP: message" start as halcmd's own lines do.
bool reads_as_halcmds_line(std::string_view comp) {
  return comp.starts_with(kSource) || comp.starts_with("HAL") || comp.starts_with("(");
}

bool runs_outside_the_harness(std::string_view text) {
  std::istringstream in{std::string(text)};
  for (const hal::SourceLine& line : hal::read_logical_lines(in)) {
    auto tokens = hal::tokenize(line.text, nullptr, fake_env);
    if (!tokens || tokens->empty()) continue;
    const std::string& cmd = tokens->front();
    if (cmd == "start" || cmd == "source" || cmd == "loadusr") return true;
    if (cmd == "save" && tokens->size() > 2) return true;  // `save TYPE FILE` writes into the working directory
    if (cmd == "loadrt" && tokens->size() > 1 && reads_as_halcmds_line((*tokens)[1])) return true;
  }
  return false;
}

std::size_t count_lines(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) n += c == '\n' ? 1 : 0;
  return n + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

// The line number in "PREFIX" N "SEPARATOR..." (fuzz.hal:N: and (N)<echo>: ), checked against the file's
// length; `rest` is what follows the separator.
std::size_t line_number(const std::string& line, std::string_view prefix, std::string_view separator,
                        std::size_t lines, std::string& rest) {
  const std::size_t end = line.find(separator, prefix.size());
  FUZZ_CHECK(end != std::string::npos, "no '" + std::string(separator) + "' after the line number: " + line);
  const std::string number = line.substr(prefix.size(), end - prefix.size());
  FUZZ_CHECK(!number.empty() && number.size() < 9 && number.find_first_not_of("0123456789") == std::string::npos,
             line);
  const std::size_t n = std::stoul(number);
  FUZZ_CHECK(n >= 1 && n <= lines, "line " + number + " of a " + std::to_string(lines) + "-line file: " + line);
  rest = line.substr(end + separator.size());
  return n;
}

struct RunFlags {
  bool keep_going = false;
  bool quiet = false;
};

// Checks the error stream against halcmd's format and the run's error count (the invariants above).
void check_error_stream(const std::string& err, std::size_t lines, int errors, RunFlags flags) {
  const std::string located_prefix = std::string(kSource) + ":";
  std::size_t last_line = 0;         // of the last located or echo line
  std::vector<std::size_t> failed;   // the lines that located error lines name, in order, once each
  bool error_printed = false;        // a located error line or a library line so far
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    const auto context = [&] { return "\n" + line + "\nin:\n" + err; };  // built only when a check fails
    std::string rest;
    bool error_line = false;
    if (line.starts_with(located_prefix)) {
      const std::size_t n = line_number(line, located_prefix, ": ", lines, rest);
      FUZZ_CHECK(!rest.empty(), "located line without a message" + context());
      FUZZ_CHECK(n >= last_line, "line " + std::to_string(n) + " reported after line " + std::to_string(last_line) + context());
      last_line = n;
      error_line = !rest.starts_with("Warning: ");  // setexact's warning is the one located line of a success
      if (error_line && (failed.empty() || failed.back() != n)) failed.push_back(n);
    } else if (line.starts_with("HAL: ERROR: ")) {
      FUZZ_CHECK(!flags.quiet, "a library line under -Q" + context());
      FUZZ_CHECK(line.size() > 12, "library line without a message" + context());
      error_line = true;
    } else if (line.starts_with("(")) {
      const std::size_t n = line_number(line, "(", ")<echo>: ", lines, rest);
      FUZZ_CHECK(n >= last_line, "echo of line " + std::to_string(n) + " after line " + std::to_string(last_line) + context());
      last_line = n;
    } else {  // the loader's "COMP: message", and rtstep's notes
      FUZZ_CHECK(!flags.quiet || line.starts_with("loadrt ") || line == "This mode is not suitable for running real hardware.",
                 "a loader line under -Q" + context());
    }
    FUZZ_CHECK(flags.keep_going || !error_printed || (error_line && failed.size() <= 1),
               "without -k, a line after the first error" + context());
    error_printed = error_printed || error_line;
  }
  FUZZ_CHECK(static_cast<int>(failed.size()) <= errors,
             std::to_string(failed.size()) + " lines reported failing, " + std::to_string(errors) + " errors" + "\n" + err);
  // -Q hides the library's lines, the only ones some errors print (delsig of a missing signal).
  const bool consistent = flags.quiet ? !error_printed || errors > 0 : error_printed == (errors > 0);
  FUZZ_CHECK(consistent, std::to_string(errors) + " errors, " + (error_printed ? "" : "no ") + "error line printed" +
                             (flags.quiet ? " under -Q" : "") + ":\n" + err);
}

void check_graph(const hal::Hal& h) {
  for (const auto& [name, pin] : h.pins()) {
    FUZZ_CHECK(pin->name == name, name);
    if (pin->signal == nullptr) continue;
    const auto it = h.signals().find(pin->signal->name);
    FUZZ_CHECK(it != h.signals().end() && it->second.get() == pin->signal, "pin " + name + " on a deleted signal");
    FUZZ_CHECK(pin->signal->type == pin->type, "pin " + name + " linked to a signal of another type");
    bool listed = false;
    for (const hal::PinRecord* p : pin->signal->pins) listed = listed || p == pin.get();
    FUZZ_CHECK(listed, "pin " + name + " not listed by its signal " + pin->signal->name);
  }
  for (const auto& [name, sig] : h.signals()) {
    int readers = 0, writers = 0, bidirs = 0;
    for (const hal::PinRecord* p : sig->pins) {
      FUZZ_CHECK(p->signal == sig.get(), "signal " + name + " lists pin " + p->name + " that is elsewhere");
      readers += p->dir != hal::Dir::kOut ? 1 : 0;
      writers += p->dir == hal::Dir::kOut ? 1 : 0;
      bidirs += p->dir == hal::Dir::kIo ? 1 : 0;
    }
    FUZZ_CHECK(readers == sig->readers && writers == sig->writers && bidirs == sig->bidirs, "signal " + name + " counts");
    FUZZ_CHECK(writers <= 1 && !(writers == 1 && bidirs > 0), "signal " + name + " has conflicting writers");
  }
}

void check_values_round_trip(hal::Hal& h) {
  for (const auto& [name, param] : h.params()) {
    if (param->dir != hal::ParamDir::kRw) continue;
    auto text = h.get_pin_or_param(name);
    FUZZ_CHECK(text.ok(), "getp " + name + ": " + text.error().message);
    auto st = h.set_pin_or_param(name, text.value());
    FUZZ_CHECK(st.ok(), "setp " + name + " " + text.value() + ": " + st.error().message);
    auto again = h.get_pin_or_param(name);
    FUZZ_CHECK(again.ok() && again.value() == text.value(), "param " + name + ": " + text.value() + " read back differently");
  }
  for (const auto& [name, sig] : h.signals()) {
    if (sig->writers != 0) continue;
    auto text = h.get_signal(name);
    FUZZ_CHECK(text.ok(), "gets " + name + ": " + text.error().message);
    auto st = h.set_signal(name, text.value());
    FUZZ_CHECK(st.ok(), "sets " + name + " " + text.value() + ": " + st.error().message);
    auto again = h.get_signal(name);
    FUZZ_CHECK(again.ok() && again.value() == text.value(), "signal " + name + ": " + text.value() + " read back differently");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const RunFlags flags{.keep_going = (data[0] & 1U) != 0, .quiet = (data[0] & 0x80U) != 0};
  const int64_t virtual_cycles = (data[0] >> 1) & 0x3F;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (runs_outside_the_harness(text)) return 0;

  hal::Hal h;
  h.set_thread_options({.realtime = false, .lock_memory = false, .allow_non_realtime = true});
  std::ostringstream out, err;
  hal::Halcmd cmd(h, out, err);
  cmd.set_keep_going(flags.keep_going);
  cmd.set_quiet(flags.quiet);
  cmd.set_env_lookup(fake_env);
  std::istringstream empty_input;
  cmd.set_input(empty_input);

  std::istringstream in{std::string(text)};
  const bool ok = cmd.run_stream(in, kSource);
  FUZZ_CHECK(ok == (cmd.error_count() == 0), "run_stream returned " + std::to_string(ok) + " with " +
                                                 std::to_string(cmd.error_count()) + " errors");
  FUZZ_CHECK(flags.keep_going || cmd.error_count() <= 1, "without -k the first error must stop the file");
  check_error_stream(err.str(), count_lines(text), cmd.error_count(), flags);
  FUZZ_CHECK(!h.threads_started(), "a HAL file started threads in the harness");

  check_graph(h);
  if (virtual_cycles > 0 && !h.threads().empty()) (void)h.run_virtual(virtual_cycles);
  check_values_round_trip(h);
  check_graph(h);
  return 0;
}
