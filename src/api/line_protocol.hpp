#pragma once
// The printer pseudo-terminal's line protocol as pure logic (bytes in -> commands out, results in -> bytes
// out), so that it is tested without a pty. It speaks what OctoPrint and Printrun were written against
// (Marlin), on top of Klipper's pty behaviour:
//
//   input     lines ended by '\n' ('\r' dropped, blank lines ignored); a line of N<n> <command>*<checksum>
//             is checked: n must be the last line number + 1 (M110 excepted), the checksum is present and
//             equal to the XOR of every byte before '*'. A failure answers, in order,
//               Error:<reason>, Last Line: <last>      (Marlin's texts)
//               Resend: <last + 1>
//               ok
//             and the command is not run. `M110 N<k>` (numbered or not) sets the last line number to k,
//             so hosts start a print with `N-1 M110 N-1*<cs>`; it is answered here, never run.
//   commands  one at a time, in order: next_command() hands out the next one once the previous finished;
//             command_done() answers it: "ok" or "ok <ack>" (M105's temperatures), or an error as "!! …"
//             (earlier lines of a multi-line error as "// …") followed by "ok", as Klipper does.
//   M112      an emergency stop is reported by take_emergency_stop() as soon as the line is read, even while
//             a long command runs; its own "ok" follows in order.
//   busy      while one command runs, "echo:busy: processing" every busy_interval (Marlin's host keepalive,
//             2 s), so that hosts do not time out during homing or a heat-up.
//   output    G-code output from anywhere (output_line) is written as it comes, one line each.
// Non-real-time, not thread-safe: one owner (the pty on the API thread). Times are the caller's clock (ns).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "api/api.hpp"

namespace rtstep::api {

class LineProtocol {
 public:
  struct Options {
    int64_t busy_interval_ns = 2'000'000'000;  // Marlin's DEFAULT_KEEPALIVE_INTERVAL
    std::size_t max_line_bytes = 4096;         // longer lines are answered with an error, never run
    std::size_t max_pending = 16;              // wants_input() false beyond this: stop reading (back-pressure)
  };

  LineProtocol() : LineProtocol(Options{}) {}
  explicit LineProtocol(Options options) : options_(options) {}

  // Reads bytes from the host.
  void feed(std::string_view bytes);
  // True once after an M112 line was read: stop the machine now.
  [[nodiscard]] bool take_emergency_stop() noexcept;
  // The next command to run, when none is running; marks it running from `now_ns`. Lines answered here
  // (M110, errors, M112's ok) are answered on the way.
  std::optional<std::string> next_command(int64_t now_ns);
  // The running command has finished.
  void command_done(const ScriptResult& result);
  // An output line from elsewhere (another front end's command, a print's message).
  void output_line(std::string_view line);
  // Busy keepalive; call at least every busy_interval while a command runs.
  void tick(int64_t now_ns);

  // Bytes to write to the host; taking them empties the buffer.
  std::string take_output();
  bool running() const noexcept { return running_; }
  bool wants_input() const noexcept { return pending_.size() < options_.max_pending; }
  long last_line() const noexcept { return last_line_; }
  int64_t next_busy_ns() const noexcept { return next_busy_ns_; }

 private:
  // A line read and checked: a command for the controller, or an answer decided here.
  struct Pending {
    std::string command;  // empty: answer only
    std::string answer;   // text written when its turn comes (ends with "ok\n")
  };
  void take_line(std::string line);
  void line_error(const char* reason);
  void answer_here(std::string answer) { pending_.push_back(Pending{{}, std::move(answer)}); }
  void emit(std::string_view line);

  Options options_;
  std::string partial_;
  bool overflow_ = false;  // the current line passed max_line_bytes; skipping to its end
  std::deque<Pending> pending_;
  std::string output_;
  long last_line_ = 0;
  bool running_ = false;
  bool emergency_ = false;
  int64_t next_busy_ns_ = 0;
};

// "M110" for "m110 N5", "G1" for "N12 G1 X5*33"; "" for a blank line. Exposed for tests.
std::string command_word(std::string_view command);

}  // namespace rtstep::api
