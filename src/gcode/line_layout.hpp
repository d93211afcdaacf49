#pragma once
// Private to gcode: the first pass over a line. It rejects bytes that are not text, finds where the
// code ends (a `;` comment or a `*NN` checksum) and verifies the checksum, so the word parser only
// ever sees the code part.

#include <cstddef>

#include "gcode/context.hpp"

namespace rtstep::gcode::detail {

// On success `code_end` is the offset where the code part of ctx.line ends.
bool scan_line_layout(const ParseContext& ctx, std::size_t& code_end);

}  // namespace rtstep::gcode::detail
