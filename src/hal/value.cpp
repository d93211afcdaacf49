// HAL value names, parsing and printing (see value.hpp).
#include "hal/value.hpp"

#include <cerrno>
#include <charconv>
#include <cctype>
#include <cinttypes>
#include <cstdlib>
#include <cstdio>
#include <limits>
#include <string>

namespace rtstep::hal {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Error invalid(Type type, std::string_view text) {
  return Error{"value '" + std::string(text) + "' invalid for " + type_name(type)};
}

// strtoll / strtoull with base 0, the whole text consumed. `negative` reports a leading '-'.
bool parse_integer(std::string_view text, bool is_signed, int64_t& s, uint64_t& u) {
  if (text.empty()) return false;
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  if (is_signed) {
    s = std::strtoll(copy.c_str(), &end, 0);
  } else {
    if (copy.find('-') != std::string::npos) return false;  // strtoull would wrap "-1"
    u = std::strtoull(copy.c_str(), &end, 0);
  }
  const int err = errno;
  return err == 0 && end == copy.c_str() + copy.size() && !std::isspace(static_cast<unsigned char>(copy[0]));
}

}  // namespace

const char* type_name(Type type) noexcept {
  switch (type) {
    case Type::kBit: return "bit";
    case Type::kFloat: return "float";
    case Type::kS32: return "s32";
    case Type::kU32: return "u32";
    case Type::kS64: return "s64";
    case Type::kU64: return "u64";
  }
  return "?";
}

Result<Type> parse_type(std::string_view text) {
  for (Type t : {Type::kBit, Type::kFloat, Type::kS32, Type::kU32, Type::kS64, Type::kU64}) {
    if (text == type_name(t)) return t;
  }
  return Error{"unknown type '" + std::string(text) + "' (bit, float, s32, u32, s64 or u64)"};
}

const char* dir_name(Dir dir) noexcept {
  switch (dir) {
    case Dir::kIn: return "IN";
    case Dir::kOut: return "OUT";
    case Dir::kIo: return "I/O";
  }
  return "?";
}

const char* param_dir_name(ParamDir dir) noexcept { return dir == ParamDir::kRo ? "RO" : "RW"; }

Result<uint64_t> parse_value(Type type, std::string_view text) {
  int64_t s = 0;
  uint64_t u = 0;
  switch (type) {
    case Type::kBit:
      for (const char* t : {"1", "TRUE", "ON", "YES"}) {
        if (iequals(text, t)) return Value::encode(true);
      }
      for (const char* f : {"0", "FALSE", "OFF", "NO"}) {
        if (iequals(text, f)) return Value::encode(false);
      }
      return invalid(type, text);
    case Type::kFloat: {
      std::string_view t = text;
      if (!t.empty() && t.front() == '+') {
        t.remove_prefix(1);
        if (!t.empty() && (t.front() == '-' || t.front() == '+')) return invalid(type, text);
      }
      if (t.empty()) return invalid(type, text);
      // from_chars is locale-independent; strtod's hex floats ("0x10", "-0x1p-2") are parsed as hex.
      const bool negative = t.front() == '-';
      std::string_view digits = negative ? t.substr(1) : t;
      auto format = std::chars_format::general;
      if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        digits.remove_prefix(2);
        format = std::chars_format::hex;
      } else {
        digits = t;
      }
      if (digits.empty() || digits.front() == '-' || digits.front() == '+') {
        if (format == std::chars_format::hex) return invalid(type, text);
      }
      double d = 0;
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d, format);
      if (ec != std::errc{} || ptr != digits.data() + digits.size()) return invalid(type, text);
      return Value::encode(format == std::chars_format::hex && negative ? -d : d);
    }
    case Type::kS32:
      if (!parse_integer(text, true, s, u)) return invalid(type, text);
      if (s < std::numeric_limits<int32_t>::min() || s > std::numeric_limits<int32_t>::max()) {
        return Error{"value '" + std::string(text) + "' out of range for s32"};
      }
      return Value::encode(static_cast<int32_t>(s));
    case Type::kS64:
      if (!parse_integer(text, true, s, u)) return invalid(type, text);
      return Value::encode(s);
    case Type::kU32:
      if (!parse_integer(text, false, s, u)) return invalid(type, text);
      if (u > std::numeric_limits<uint32_t>::max()) {
        return Error{"value '" + std::string(text) + "' out of range for u32"};
      }
      return Value::encode(static_cast<uint32_t>(u));
    case Type::kU64:
      if (!parse_integer(text, false, s, u)) return invalid(type, text);
      return Value::encode(u);
  }
  return invalid(type, text);
}

std::string format_value(Type type, uint64_t raw) {
  char text[48];
  switch (type) {
    case Type::kBit: return Value::decode<bool>(raw) ? "TRUE" : "FALSE";
    case Type::kFloat: std::snprintf(text, sizeof text, "%.7g", Value::decode<double>(raw)); break;
    case Type::kS32: std::snprintf(text, sizeof text, "%" PRId32, Value::decode<int32_t>(raw)); break;
    case Type::kU32: std::snprintf(text, sizeof text, "%" PRIu32, Value::decode<uint32_t>(raw)); break;
    case Type::kS64: std::snprintf(text, sizeof text, "%" PRId64, Value::decode<int64_t>(raw)); break;
    case Type::kU64: std::snprintf(text, sizeof text, "%" PRIu64, Value::decode<uint64_t>(raw)); break;
  }
  return text;
}

std::string format_value_cell(Type type, uint64_t raw) {
  // LinuxCNC 2.9's 12-character value column; hex for the unsigned types (a u64 is wider than the column).
  char text[48];
  switch (type) {
    case Type::kU32: std::snprintf(text, sizeof text, "  0x%08" PRIX32, Value::decode<uint32_t>(raw)); break;
    case Type::kU64: std::snprintf(text, sizeof text, "0x%016" PRIX64, Value::decode<uint64_t>(raw)); break;
    default: std::snprintf(text, sizeof text, "%12s", format_value(type, raw).c_str()); break;
  }
  return text;
}

}  // namespace rtstep::hal
