// Fuzz target: a .hal file through hal::Halcmd on a hal::Hal (src/hal), without real-time threads.
//
// The first byte chooses -k (keep going) and how many base periods to run afterwards; the rest is the
// file. Commands that would start threads or leave the process's control are not run: an input with
// `start` (creates SCHED_FIFO threads), `source` (reads any path), `loadusr` (sleeps, or waits 5 s for a
// FIFO) or `save TYPE FILE` (writes a file where the fuzzer runs) is skipped whole; `save TYPE` still runs. Everything else, including every built-in component, runs for real; the
// threads a file creates are then run synchronously with Hal::run_virtual, so the components' functions
// meet the fuzzed parameters too.
// Invariants:
// - run_stream's result says whether there was an error, and every error is reported once as
//   "fuzz.hal:LINE: error: MESSAGE" with LINE a line of the file (without -k: at most one);
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

bool runs_outside_the_harness(std::string_view text) {
  std::istringstream in{std::string(text)};
  for (const hal::SourceLine& line : hal::read_logical_lines(in)) {
    auto tokens = hal::tokenize(line.text, nullptr, fake_env);
    if (!tokens || tokens->empty()) continue;
    const std::string& cmd = tokens->front();
    if (cmd == "start" || cmd == "source" || cmd == "loadusr") return true;
    if (cmd == "save" && tokens->size() > 2) return true;  // `save TYPE FILE` writes into the working directory
  }
  return false;
}

std::size_t count_lines(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) n += c == '\n' ? 1 : 0;
  return n + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

// Counts "fuzz.hal:N: error: M" lines, checking N and M.
int count_reported_errors(const std::string& err, std::size_t lines) {
  const std::string prefix = std::string(kSource) + ":";
  int errors = 0;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(prefix)) continue;
    const std::size_t colon = line.find(':', prefix.size());
    if (colon == std::string::npos || line.compare(colon, 9, ": error: ") != 0) continue;
    const std::string number = line.substr(prefix.size(), colon - prefix.size());
    FUZZ_CHECK(!number.empty() && number.size() < 9 && number.find_first_not_of("0123456789") == std::string::npos,
               line);
    const unsigned long n = std::stoul(number);
    FUZZ_CHECK(n >= 1 && n <= lines, "error names line " + number + " of a " + std::to_string(lines) + "-line file");
    FUZZ_CHECK(line.size() > colon + 9, "error without a message: " + line);
    ++errors;
  }
  return errors;
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
  const bool keep_going = (data[0] & 1U) != 0;
  const int64_t virtual_cycles = (data[0] >> 1) & 0x3F;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (runs_outside_the_harness(text)) return 0;

  hal::Hal h;
  h.set_thread_options({.realtime = false, .lock_memory = false, .allow_non_realtime = true});
  std::ostringstream out, err;
  hal::Halcmd cmd(h, out, err);
  cmd.set_keep_going(keep_going);
  cmd.set_env_lookup(fake_env);
  std::istringstream empty_input;
  cmd.set_input(empty_input);

  std::istringstream in{std::string(text)};
  const bool ok = cmd.run_stream(in, kSource);
  FUZZ_CHECK(ok == (cmd.error_count() == 0), "run_stream returned " + std::to_string(ok) + " with " +
                                                 std::to_string(cmd.error_count()) + " errors");
  FUZZ_CHECK(keep_going || cmd.error_count() <= 1, "without -k the first error must stop the file");
  const int reported = count_reported_errors(err.str(), count_lines(text));
  FUZZ_CHECK(reported == cmd.error_count(), std::to_string(reported) + " errors printed, " +
                                                std::to_string(cmd.error_count()) + " counted:\n" + err.str());
  FUZZ_CHECK(!h.threads_started(), "a HAL file started threads in the harness");

  check_graph(h);
  if (virtual_cycles > 0 && !h.threads().empty()) (void)h.run_virtual(virtual_cycles);
  check_values_round_trip(h);
  check_graph(h);
  return 0;
}
