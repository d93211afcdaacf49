#pragma once
// Parser of Klipper's template language (internal to src/macro): tokens to the syntax tree of ast.hpp,
// with Jinja2's grammar and operator precedence (lowest first): `a if c else b`, or, and, not,
// comparisons (== != < <= > >= in, not in; chained as in Python), + -, ~, * / // %, **, unary - +,
// then postfix `.name`, `[key]`, `[a:b:c]`, calls, `|filter` and `is test`. Note Jinja's quirk, kept:
// unary minus binds tighter than ** (`-2**2` is 4).
// Statements: if/elif/else/endif, for/else/endfor (tuple targets, `if` filter), set (also
// `set a, b = ...`, `set ns.attr = ...` and the block form `{% set x %}...{% endset %}`).
// Unknown filters, tests and tags are errors here, at compile time, as in Jinja.
// Non-real-time.

#include <string_view>

#include "macro/ast.hpp"

namespace rtstep::macro {

// Nesting deeper than this (brackets, operators, blocks) is refused, so a hostile template cannot
// exhaust the stack of the parser or of the renderer. An expression tree may be twice as tall (a chain
// like a + b + c + ... is read by a loop but evaluated by recursion): 128 levels.
inline constexpr int kMaxParseDepth = 64;

// Throws SyntaxError naming the position of the offending token.
Program parse(std::string_view source);

}  // namespace rtstep::macro
