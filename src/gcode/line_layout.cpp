// First pass over a line: byte validation, comment and checksum boundaries.
//
// A `;` outside a parenthesised comment ends the code. The last `*` outside parentheses, before that,
// starts a checksum: the XOR of every byte before it (RepRap/Marlin rule), written in decimal.

#include "gcode/line_layout.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <string>

namespace rtstep::gcode::detail {
namespace {

// Bytes the scan loop must stop at; everything else is skipped with one table load.
enum ByteClass : uint8_t { kPlain = 0, kControl, kOpen, kClose, kSemicolon, kStar };

constexpr std::array<uint8_t, 256> make_byte_classes() {
  std::array<uint8_t, 256> table{};
  for (unsigned c = 0; c < 256; ++c) {
    table[c] = is_control(static_cast<unsigned char>(c)) ? kControl : kPlain;
  }
  table['('] = kOpen;
  table[')'] = kClose;
  table[';'] = kSemicolon;
  table['*'] = kStar;
  return table;
}
constexpr std::array<uint8_t, 256> kByteClasses = make_byte_classes();

uint8_t byte_class(char c) { return kByteClasses[static_cast<unsigned char>(c)]; }

// Comments may hold any text (UTF-8 included) but not control bytes: those mean a binary file.
bool check_comment_tail(const ParseContext& ctx, std::size_t from) {
  for (std::size_t i = from; i < ctx.line.size(); ++i) {
    if (byte_class(ctx.line[i]) == kControl) {
      return ctx.fail(i, unexpected_char_message(ctx.line[i]));
    }
  }
  return true;
}

// Verifies `*NN` at `star` (code ends at `end`): digits, optionally surrounded by blanks, and the XOR.
bool verify_checksum(const ParseContext& ctx, std::size_t star, std::size_t end) {
  std::size_t pos = star + 1;
  while (pos < end && is_blank(ctx.line[pos])) {
    ++pos;
  }
  const std::size_t digits = pos;
  while (pos < end && is_digit(ctx.line[pos])) {
    ++pos;
  }
  const std::string_view written = ctx.line.substr(digits, pos - digits);
  while (pos < end && is_blank(ctx.line[pos])) {
    ++pos;
  }
  if (written.empty() && pos == end) {
    return ctx.fail(star, "missing checksum after '*'");
  }
  unsigned said = 0;
  const auto [ptr, ec] = std::from_chars(written.data(), written.data() + written.size(), said);
  if (written.empty() || pos != end || ec != std::errc() || ptr != written.data() + written.size()) {
    return ctx.fail(star, "bad checksum " + quoted(ctx.line.substr(star + 1, end - star - 1)));
  }
  unsigned computed = 0;
  for (std::size_t i = 0; i < star; ++i) {
    computed ^= static_cast<unsigned char>(ctx.line[i]);
  }
  if (said != computed) {
    return ctx.fail(star, "checksum mismatch: line says " + std::to_string(said) + ", computed " +
                              std::to_string(computed));
  }
  return true;
}

}  // namespace

bool scan_line_layout(const ParseContext& ctx, std::size_t& code_end) {
  const std::string_view line = ctx.line;
  std::size_t end = line.size();
  std::size_t star = std::string_view::npos;
  bool in_paren = false;
  for (std::size_t i = 0; i < end; ++i) {
    switch (byte_class(line[i])) {
      case kPlain:
        break;
      case kControl:
        return ctx.fail(i, unexpected_char_message(line[i]));
      case kOpen:
        in_paren = true;
        break;
      case kClose:
        in_paren = false;
        break;
      case kSemicolon:
        if (!in_paren) {
          end = i;  // ends the loop; the comment's bytes are checked below
        }
        break;
      case kStar:
        if (!in_paren) {
          star = i;
        }
        break;
      default:
        break;
    }
  }
  if (end < line.size() && !check_comment_tail(ctx, end + 1)) {
    return false;
  }
  if (star != std::string_view::npos) {
    if (!verify_checksum(ctx, star, end)) {
      return false;
    }
    end = star;
  }
  code_end = end;
  return true;
}

std::size_t find_line_comment(std::string_view text) noexcept {
  bool in_paren = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    switch (byte_class(text[i])) {
      case kOpen:
        in_paren = true;
        break;
      case kClose:
        in_paren = false;
        break;
      case kSemicolon:
        if (!in_paren) {
          return i;
        }
        break;
      default:
        break;
    }
  }
  return std::string_view::npos;
}

std::size_t find_control_byte(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (byte_class(text[i]) == kControl) {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace rtstep::gcode::detail
