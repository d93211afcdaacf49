#pragma once
// Private to gcode: the first pass over a line. It rejects bytes that are not text, finds where the
// code ends (a `;` comment or a `*NN` checksum) and verifies the checksum, so the word parser only
// ever sees the code part.

#include <cstddef>
#include <string_view>

#include "gcode/context.hpp"

namespace rtstep::gcode::detail {

// On success `code_end` is the offset where the code part of ctx.line ends.
bool scan_line_layout(const ParseContext& ctx, std::size_t& code_end);

// Offset of the `;` that starts a comment (outside parentheses) in `text`, or npos.
std::size_t find_line_comment(std::string_view text) noexcept;

// Offset of the first byte in `text` that is not text (see is_control), or npos.
std::size_t find_control_byte(std::string_view text) noexcept;

}  // namespace rtstep::gcode::detail
