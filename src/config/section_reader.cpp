// Typed getters over one raw section (see section_reader.hpp).

#include "config/section_reader.hpp"

#include <cmath>

#include "config/text.hpp"

namespace rtstep::config {

namespace {

constexpr double kUnbounded = 1e299;  // |bound| above this means "no bound" in Range

}  // namespace

bool Range::contains(double v) const noexcept {
  const bool above = lo_open ? v > lo : v >= lo;
  const bool below = hi_open ? v < hi : v <= hi;
  return above && below;
}

std::string Range::describe() const {
  const bool has_lo = lo > -kUnbounded;
  const bool has_hi = hi < kUnbounded;
  if (has_lo && has_hi) {
    return std::string("in ") + (lo_open ? "(" : "[") + text::format_number(lo) + ", " + text::format_number(hi) +
           (hi_open ? ")" : "]");
  }
  if (has_lo) return (lo_open ? "> " : ">= ") + text::format_number(lo);
  if (has_hi) return (hi_open ? "< " : "<= ") + text::format_number(hi);
  return "";
}

std::string location(const Section& section, const Value& value) {
  return value.file + ":" + std::to_string(value.line) + ": [" + section.name + "] ";
}

const Value* SectionReader::find(const std::string& key) {
  used_.insert(key);
  const auto it = section_.values.find(key);
  return it == section_.values.end() ? nullptr : &it->second;
}

const Value* SectionReader::find_one_line(const std::string& key) {
  const Value* v = find(key);
  if (v == nullptr) return nullptr;
  const size_t newline = v->text.find('\n');
  if (newline == std::string::npos) return v;
  // An indented key line continues the key above it (Klipper's rule), which is rarely what was meant.
  const std::string_view next = std::string_view(v->text).substr(newline + 1);
  fail_value(key, text::quote(v->text.substr(0, newline)) + " continues on an indented line (" +
                      text::quote(next.substr(0, next.find('\n'))) +
                      "); an indented line continues the key above it, so start key lines in the first column");
  return nullptr;
}

void SectionReader::fail_value(const std::string& key, const std::string& message) {
  const Value* v = find(key);
  if (v == nullptr) return fail_section(key + ": " + message);
  errors_.add(Error{location(section_, *v) + key + ": " + message});
}

void SectionReader::fail_section(const std::string& message) {
  errors_.add(Error{section_.file + ":" + std::to_string(section_.line) + ": [" + section_.name + "] " + message});
}

void SectionReader::fail_expected(const std::string& key, const std::string& what) {
  const Value* v = find(key);
  fail_value(key, "expected " + what + ", got " + text::quote(v != nullptr ? v->text : ""));
}

double SectionReader::number(const std::string& key, Range range, std::optional<double> fallback) {
  const Value* v = find_one_line(key);
  if (v == nullptr) {
    if (!fallback) fail_section("missing required key " + key);
    return fallback.value_or(0.0);
  }
  const auto parsed = text::parse_double(v->text);
  if (parsed && std::fabs(*parsed) >= kUnbounded) {
    // "expected a number > 0, got 1e308" would read as a contradiction.
    fail_value(key, "number " + text::quote(v->text) + " is too large (the limit is 1e+299)");
    return fallback.value_or(0.0);
  }
  if (!parsed || !range.contains(*parsed)) {
    const std::string bounds = range.describe();
    fail_expected(key, bounds.empty() ? "a number" : "a number " + bounds);
    return fallback.value_or(0.0);
  }
  return *parsed;
}

int64_t SectionReader::integer(const std::string& key, Range range, std::optional<int64_t> fallback) {
  const Value* v = find_one_line(key);
  if (v == nullptr) {
    if (!fallback) fail_section("missing required key " + key);
    return fallback.value_or(0);
  }
  const auto parsed = text::parse_int(v->text);
  if (!parsed || !range.contains(static_cast<double>(*parsed))) {
    const std::string bounds = range.describe();
    fail_expected(key, bounds.empty() ? "an integer" : "an integer " + bounds);
    return fallback.value_or(0);
  }
  return *parsed;
}

std::optional<bool> SectionReader::boolean(const std::string& key) {
  const Value* v = find_one_line(key);
  if (v == nullptr) return std::nullopt;
  const auto parsed = text::parse_bool(v->text);
  if (!parsed) fail_expected(key, "a boolean (true/false, yes/no, 1/0)");
  return parsed;
}

std::string SectionReader::word(const std::string& key) {
  const Value* v = find_one_line(key);
  if (v == nullptr) {
    fail_section("missing required key " + key);
    return "";
  }
  return text::to_lower(v->text);
}

PinConfig SectionReader::pin(const std::string& key, bool required) {
  const Value* v = find_one_line(key);
  if (v == nullptr) {
    if (required) fail_section("missing required key " + key);
    return {};
  }
  auto parsed = parse_pin(v->text);
  if (!parsed) {
    fail_value(key, parsed.error().message);
    return {};
  }
  return std::move(parsed).value();
}

std::vector<int> SectionReader::cpu_list(const std::string& key) {
  const Value* v = find_one_line(key);
  if (v == nullptr) return {};
  auto parsed = parse_cpu_list(v->text);
  if (!parsed) {
    fail_value(key, parsed.error().message + " (expected a list like \"0-1,3\")");
    return {};
  }
  return std::move(parsed).value();
}

double SectionReader::gear_ratio(const std::string& key) {
  const Value* v = find_one_line(key);
  if (v == nullptr) return 1.0;
  double ratio = 1.0;
  std::string_view rest = v->text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view pair = rest.substr(0, comma);
    const size_t colon = pair.find(':');
    const auto a = text::parse_double(pair.substr(0, colon));
    const auto b = colon == std::string_view::npos ? std::nullopt : text::parse_double(pair.substr(colon + 1));
    if (!a || !b || *a <= 0 || *b <= 0) {
      fail_expected(key, "gear ratios like \"80:16\" or \"57:11, 2:1\" (numbers > 0)");
      return 1.0;
    }
    ratio *= *a / *b;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return ratio;
}

std::vector<std::string> SectionReader::unused_keys() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : section_.values) {
    if (used_.count(key) == 0) out.push_back("[" + section_.name + "] " + key);
  }
  return out;
}

}  // namespace rtstep::config
