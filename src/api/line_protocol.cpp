// The pty's Marlin-style line protocol (line_protocol.hpp).

#include "api/line_protocol.hpp"

#include <cctype>
#include <charconv>
#include <utility>

namespace rtstep::api {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The integer at the start of `s` (after an optional sign); nullopt when there is none.
std::optional<long> leading_long(std::string_view s) {
  long value = 0;
  const char* begin = s.data();
  if (!s.empty() && s.front() == '+') ++begin;
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
  if (ec != std::errc() || end == begin) return std::nullopt;
  return value;
}

// The value of parameter `letter` in `command` ("M110 N-1" -> -1), skipping the command word.
std::optional<long> parameter(std::string_view command, char letter) {
  std::size_t i = command.find_first_of(" \t");
  while (i != std::string_view::npos && i < command.size()) {
    i = command.find_first_not_of(" \t", i);
    if (i == std::string_view::npos) break;
    if (std::toupper(static_cast<unsigned char>(command[i])) == letter) return leading_long(command.substr(i + 1));
    i = command.find_first_of(" \t", i);
  }
  return std::nullopt;
}

// Drops a trailing "*<digits>" (an unnumbered line's checksum, which Klipper ignores too).
std::string_view strip_checksum(std::string_view s) {
  const std::size_t star = s.rfind('*');
  if (star == std::string_view::npos) return s;
  for (std::size_t i = star + 1; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return s;
  }
  return trim(s.substr(0, star));
}

}  // namespace

std::string command_word(std::string_view command) {
  command = trim(command);
  std::string word;
  for (char c : command) {
    if (c == ' ' || c == '\t' || c == ';' || c == '*') break;
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return word;
}

void LineProtocol::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t eol = bytes.find('\n');
    const std::string_view part = bytes.substr(0, eol);
    if (!overflow_) {
      partial_.append(part);
      if (partial_.size() > options_.max_line_bytes) {
        overflow_ = true;
        partial_.clear();
      }
    }
    if (eol == std::string_view::npos) return;
    bytes.remove_prefix(eol + 1);
    if (overflow_) {
      overflow_ = false;
      answer_here("!! Line longer than " + std::to_string(options_.max_line_bytes) + " bytes; not run\nok\n");
      continue;
    }
    take_line(std::exchange(partial_, std::string()));
  }
}

void LineProtocol::take_line(std::string raw) {
  const std::string_view line = trim(raw);
  if (line.empty()) return;
  std::string_view command = line;
  const bool numbered = line.front() == 'N' || line.front() == 'n';
  if (numbered) {
    const std::size_t digits_end = line.find_first_of(" \t*", 1);
    command = digits_end == std::string_view::npos ? std::string_view() : trim(line.substr(digits_end));
    if (!command.empty() && command.front() == '*') command = std::string_view();
  }
  const std::string word = command_word(command);
  // M112 stops the machine whatever else is wrong with its line (Marlin's emergency parser does the same).
  if (word == "M112") emergency_ = true;
  if (numbered) {
    // Marlin takes an M110's line number from its own N parameter, so "N-1 M110 N-1*cs" restarts numbering.
    std::optional<long> n = word == "M110" ? parameter(command, 'N') : std::nullopt;
    if (!n) n = leading_long(line.substr(1));
    if (!n) return line_error("Line Number is not Last Line Number+1");
    if (word != "M110" && *n != last_line_ + 1) return line_error("Line Number is not Last Line Number+1");
    const std::size_t star = line.rfind('*');
    if (star == std::string_view::npos) return line_error("No Checksum with line number");
    unsigned checksum = 0;
    for (std::size_t i = 0; i < star; ++i) checksum ^= static_cast<unsigned char>(line[i]);
    const std::optional<long> sent = leading_long(line.substr(star + 1));
    if (!sent || *sent != static_cast<long>(checksum)) return line_error("checksum mismatch");
    last_line_ = *n;
    command = trim(command.substr(0, command.rfind('*')));
  } else {
    command = strip_checksum(command);
  }
  if (word == "M110") {
    if (const auto n = parameter(command, 'N')) last_line_ = *n;
    return answer_here("ok\n");
  }
  // M112 was already acted on through take_emergency_stop(); a numbered empty line ("N5*cs") is a no-op.
  if (word == "M112" || command.empty()) return answer_here("ok\n");
  pending_.push_back(Pending{std::string(command), {}});
}

void LineProtocol::line_error(const char* reason) {
  answer_here("Error:" + std::string(reason) + ", Last Line: " + std::to_string(last_line_) +
              "\nResend: " + std::to_string(last_line_ + 1) + "\nok\n");
}

bool LineProtocol::take_emergency_stop() noexcept { return std::exchange(emergency_, false); }

std::optional<std::string> LineProtocol::next_command(int64_t now_ns) {
  while (!running_ && !pending_.empty()) {
    Pending next = std::move(pending_.front());
    pending_.pop_front();
    if (next.command.empty()) {
      output_ += next.answer;
      continue;
    }
    running_ = true;
    next_busy_ns_ = now_ns + options_.busy_interval_ns;
    return std::move(next.command);
  }
  return std::nullopt;
}

void LineProtocol::command_done(const ScriptResult& result) {
  running_ = false;
  if (result.ok) {
    emit(result.ack.empty() ? std::string("ok") : "ok " + result.ack);
    return;
  }
  // Klipper: a multi-line error is first shown whole as "// " lines, then its first line as "!! ".
  std::string_view text = trim(result.error);
  std::string_view first = text.substr(0, text.find('\n'));
  if (first.size() != text.size()) {
    while (!text.empty()) {
      const std::size_t eol = text.find('\n');
      emit("// " + std::string(trim(text.substr(0, eol))));
      text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    }
  }
  emit("!! " + std::string(trim(first)));
  emit("ok");
}

void LineProtocol::output_line(std::string_view line) { emit(line); }

void LineProtocol::tick(int64_t now_ns) {
  if (!running_ || now_ns < next_busy_ns_) return;
  emit("echo:busy: processing");
  next_busy_ns_ = now_ns + options_.busy_interval_ns;
}

std::string LineProtocol::take_output() { return std::exchange(output_, std::string()); }

void LineProtocol::emit(std::string_view line) {
  output_.append(line);
  output_.push_back('\n');
}

}  // namespace rtstep::api
