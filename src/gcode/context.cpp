// Error reporting shared by the parsing steps, and ParseError/Command members of the public header.

#include "gcode/context.hpp"

#include <array>
#include <utility>

namespace rtstep::gcode {
namespace detail {

namespace {
// Long enough for any number worth reading back; longer input is cut so one message stays one line.
constexpr std::size_t kMaxQuoted = 40;
}  // namespace

bool ParseContext::fail(std::size_t pos, std::string message) const {
  error.file.assign(source_name);
  error.line = line_number;
  error.column = static_cast<uint32_t>(pos + 1);
  error.message = std::move(message);
  return false;
}

std::string unexpected_char_message(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (is_control(byte) || byte >= 0x80) {
    constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                           '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    std::string message = "unexpected byte 0x";
    message += kHex[byte >> 4U];
    message += kHex[byte & 0xFU];
    return message;
  }
  return std::string("unexpected character '") + c + "'";
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  if (text.size() > kMaxQuoted) {
    out.append(text.substr(0, kMaxQuoted));
    out += "...";
  } else {
    out.append(text);
  }
  out += '"';
  return out;
}

}  // namespace detail

std::string ParseError::to_string() const {
  return file + ':' + std::to_string(line) + ':' + std::to_string(column) + ": " + message;
}

std::string_view Command::param(std::string_view key) const noexcept {
  for (const ExtendedParam& p : params) {
    if (p.key == key) {
      return p.value;
    }
  }
  return {};
}

}  // namespace rtstep::gcode
