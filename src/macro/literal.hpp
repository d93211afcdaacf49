#pragma once
// Python literals, as Klipper reads `variable_*` values and SET_GCODE_VARIABLE's VALUE: Python's
// ast.literal_eval, then a check that the value can be written as JSON.
//
// Accepted: integers (decimal, 0x, 0o, 0b, with '_' between digits), floats (1.5, .5, 5., 1e-3, with a
// leading + or -), strings in single, double or triple quotes with Python's escapes and the r/u
// prefixes (adjacent strings join), True/False/None, lists, tuples (also without brackets: `1, 2`),
// dicts, nested to kMaxParseDepth, across lines. Refused, as Klipper refuses them: names, calls,
// arithmetic, sets, bytes, complex numbers, f-strings, and dict keys that are lists, dicts or tuples.
// Integers beyond 64 bits are refused (Python would accept them).
//
// Thread: non-real-time.

#include <string_view>

#include "macro/value.hpp"
#include "util/result.hpp"

namespace rtstep::macro {

// The value of `text`, or an error naming the problem and its column: "invalid syntax at column 5".
// The caller adds the key ("variable_x").
Result<Value> parse_literal(std::string_view text);

}  // namespace rtstep::macro
