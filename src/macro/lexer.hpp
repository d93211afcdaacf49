#pragma once
// Lexer of Klipper's template language (internal to src/macro). Klipper builds its Jinja2 environment
// with `{%` `%}` for statements and `{` `}` for expressions; comments are Jinja's `{#` `#}`. Inside a tag,
// a closing `}` (or `%}`) ends the tag only where brackets are balanced, so `{ {'a': 1}['a'] }` works as
// it does in Jinja. `-` after an opening delimiter or before a closing one removes the whitespace
// (newlines included) on that side of the tag; `+` is accepted and changes nothing (no lstrip_blocks).
// One newline at the very end of the template is dropped (Jinja's keep_trailing_newline=False).
// Non-real-time.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rtstep::macro {

// Where a token or node starts in the template text: 1-based line and column (bytes).
struct SourcePos {
  uint32_t line = 1;
  uint32_t column = 1;
};

// A failure to read a template: where and what. Thrown by the lexer and parser, caught by compile().
struct SyntaxError {
  SourcePos pos;
  std::string message;
};

enum class TokenKind : uint8_t {
  kData,        // text outside tags (after whitespace control)
  kVarBegin,    // {
  kVarEnd,      // }
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,        // identifier or keyword
  kInt,
  kFloat,
  kString,      // text holds the decoded string
  kOperator,    // text holds the operator: "+", "//", "==", "(", ...
  kEnd,         // end of the template
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  SourcePos pos;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
};

// Splits a template into tokens. Throws SyntaxError: unclosed tag, comment or string, a character that
// starts no token, a bad escape or number, brackets closed by the wrong bracket.
std::vector<Token> tokenize(std::string_view source);

// How a token reads in messages: "'}'", "end of template", "name 'foo'".
std::string describe(const Token& token);

}  // namespace rtstep::macro
