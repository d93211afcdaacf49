#pragma once
// Typed getters over one raw section. Each getter returns a usable value even when the text is bad (the
// default, or zero) and records the first error in an ErrorSink, so that a section reads as a flat list
// of `cfg.x = reader.number("x", ...)` lines instead of an error check after every key. Every message
// names the file, the line, the section and the key. Non-real-time.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace rtstep::config {

// Keeps the first error of a load. Later errors are dropped: they are often consequences of the first.
class ErrorSink {
 public:
  void add(Error error) {
    if (!first_) first_ = std::move(error);
  }
  bool failed() const noexcept { return first_.has_value(); }
  const Error& first() const { return *first_; }

 private:
  std::optional<Error> first_;
};

// An interval of accepted numbers, with its description for messages ("> 0", "in [0.02, 5]").
struct Range {
  double lo = -1e300;
  double hi = 1e300;
  bool lo_open = false;
  bool hi_open = false;

  static Range any() { return {}; }
  static Range positive() { return {0, 1e300, true, false}; }
  static Range at_least(double lo) { return {lo, 1e300, false, false}; }
  static Range closed(double lo, double hi) { return {lo, hi, false, false}; }
  static Range open_closed(double lo, double hi) { return {lo, hi, true, false}; }
  static Range closed_open(double lo, double hi) { return {lo, hi, false, true}; }

  bool contains(double v) const noexcept;
  std::string describe() const;
};

class SectionReader {
 public:
  SectionReader(const Section& section, ErrorSink& errors) : section_(section), errors_(errors) {}

  const Section& section() const noexcept { return section_; }
  // The value of `key`, or nullptr; marks the key as used either way.
  const Value* find(const std::string& key);
  // Same, for keys whose value is one line (every typed getter): a value with continuation lines is an
  // error at the key, and nullptr.
  const Value* find_one_line(const std::string& key);

  // `fallback` empty means the key is required.
  double number(const std::string& key, Range range, std::optional<double> fallback);
  int64_t integer(const std::string& key, Range range, std::optional<int64_t> fallback);
  std::optional<bool> boolean(const std::string& key);
  bool boolean(const std::string& key, bool fallback) { return boolean(key).value_or(fallback); }
  // Lower-cased text; required.
  std::string word(const std::string& key);
  PinConfig pin(const std::string& key, bool required);
  std::vector<int> cpu_list(const std::string& key);
  // gear_ratio: "a:b, c:d" -> a/b * c/d; 1 when absent.
  double gear_ratio(const std::string& key);

  // "file:line: [section] key: <message>" at the key's line.
  void fail_value(const std::string& key, const std::string& message);
  // "file:header-line: [section] <message>" at the section header.
  void fail_section(const std::string& message);
  // "expected <what>, got "<text>"" at the key's line.
  void fail_expected(const std::string& key, const std::string& what);

  // Keys the section has that no getter asked for, as "[section] key".
  std::vector<std::string> unused_keys() const;

 private:
  const Section& section_;
  ErrorSink& errors_;
  std::set<std::string> used_;
};

// "file:line: [section] " for messages about a key.
std::string location(const Section& section, const Value& value);

}  // namespace rtstep::config
