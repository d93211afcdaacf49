#pragma once
// Private to gcode: the two kinds of command line, after the line layout and the `N` word are handled.
// `code` is the line up to its comment or checksum; offsets into it are offsets into the whole line,
// so they double as error columns.

#include <cstddef>
#include <string_view>

#include "gcode/context.hpp"
#include "gcode/gcode.hpp"

namespace rtstep::gcode::detail {

// Skips blanks and `(...)` comments from `pos`; fails on a `(` that is not closed before `code` ends.
bool skip_blanks(const ParseContext& ctx, std::string_view code, std::size_t& pos);

// `G1 X10 F3000`, `M104 S200`, `T0`: a letter and a number, then letter-number words.
bool parse_word_command(const ParseContext& ctx, std::string_view code, std::size_t pos, LineScratch& scratch,
                        Command& out);

// `SET_VELOCITY_LIMIT ACCEL=3000`: a name, then KEY=VALUE parameters.
bool parse_extended_command(const ParseContext& ctx, std::string_view code, std::size_t pos, LineScratch& scratch,
                            Command& out);

}  // namespace rtstep::gcode::detail
