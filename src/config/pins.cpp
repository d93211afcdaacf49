// Pin and CPU-list parsing. A pin is only a name here: on the sim backend any label is valid, and the
// GPIO backend decides later whether a name exists. What is checked is the syntax, so that typos like
// "PB 9" or "!!PB9" fail at load time rather than as a confusing "no such line" from a backend.

#include <algorithm>
#include <cctype>

#include "config/config.hpp"
#include "config/text.hpp"

namespace rtstep::config {

namespace {

constexpr int kMaxCpu = 1024;

bool is_pin_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '/' || c == '.' || c == '-' || c == ':';
}

Error bad_pin(const std::string& text, const std::string& why) {
  return Error{"bad pin " + text::quote(text) + ": " + why};
}

// Applies one modifier character to `pin`; false if it was already given.
bool apply_modifier(char c, PinConfig& pin) {
  bool& flag = c == '!' ? pin.inverted : c == '^' ? pin.pullup : pin.pulldown;
  if (flag) return false;
  flag = true;
  return true;
}

// One element of a CPU list: "3" or "0-2".
Status add_cpu_range(std::string_view item, std::vector<int>& cpus) {
  const size_t dash = item.find('-');
  const auto first = text::parse_int(item.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : text::parse_int(item.substr(dash + 1));
  const std::string quoted = text::quote(text::trim(item));
  if (!first || !last || *first < 0 || *last < 0) return Error{"bad CPU range " + quoted};
  if (*first > *last) return Error{"bad CPU range " + quoted + ": first CPU is greater than last"};
  if (*last >= kMaxCpu) return Error{"CPU " + std::to_string(*last) + " is out of range (0..1023)"};
  for (int64_t cpu = *first; cpu <= *last; ++cpu) cpus.push_back(static_cast<int>(cpu));
  return Ok{};
}

}  // namespace

Result<PinConfig> parse_pin(const std::string& text) {
  PinConfig pin;
  std::string_view rest = text::trim(text);
  // Klipper allows blanks between the modifiers and the name ("! PB9"), so skip them too.
  while (!rest.empty() && (rest.front() == '!' || rest.front() == '^' || rest.front() == '~')) {
    if (!apply_modifier(rest.front(), pin))
      return bad_pin(text, std::string("modifier '") + rest.front() + "' repeated");
    rest = text::trim(rest.substr(1));
  }
  if (pin.pullup && pin.pulldown) return bad_pin(text, "both pull-up '^' and pull-down '~'");
  if (rest.empty()) return bad_pin(text, "empty pin name");
  for (char c : rest) {
    if (c == ' ' || c == '\t') return bad_pin(text, "whitespace inside the name");
    if (!is_pin_char(c)) {
      return bad_pin(
          text, std::string("unexpected character '") + c + "' (allowed: letters, digits, '_', '/', '.', '-', ':')");
    }
  }
  pin.name = std::string(rest);
  return pin;
}

Result<std::vector<int>> parse_cpu_list(const std::string& text) {
  std::vector<int> cpus;
  std::string_view rest = text::trim(text);
  if (rest.empty()) return cpus;
  while (true) {
    const size_t comma = rest.find(',');
    if (Status s = add_cpu_range(rest.substr(0, comma), cpus); !s) return s.error();
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

}  // namespace rtstep::config
