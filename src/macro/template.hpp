#pragma once
// Template: one compiled text of Klipper's template language (a Jinja2 subset with Klipper's delimiters:
// `{ expression }`, `{% statement %}`, `{# comment #}`). Compiled once, rendered many times.
//
// Undefined names behave as in Klipper, whose Jinja2 environment uses the default (lenient) Undefined,
// not StrictUndefined: `{ foo }` and `{ params.MISSING }` render as "", `is defined` is false,
// `|default(x)` gives x, `if foo` is false and `for x in foo` runs no iteration; but any other use — an
// attribute of it, arithmetic, `|float`, `|int`, `<` — is an error ("'foo' is undefined",
// "'dict object' has no attribute 'BED'").
//
// Errors, from compile and from render, read "NAME:LINE:COLUMN: message", with NAME the name given to
// compile, LINE and COLUMN 1-based inside the template text:
//   "gcode_macro PRINT_START:3:14: unexpected '}'"
//   "gcode_macro PRINT_START:5:9: 'dict object' has no attribute 'BED'"
// A message raised by the template itself through action_raise_error is returned as the user wrote it.
//
// Rendering is bounded (Limits): a hostile or mistaken template stops with an error instead of hanging
// or exhausting memory. Nesting depth is bounded at compile time (kMaxParseDepth in parser.hpp).
//
// Thread: non-real-time. A Template is immutable after compile and may be rendered from several threads
// at once, each with its own Context (Values in a Context are not shared between threads).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "macro/value.hpp"
#include "util/result.hpp"

namespace rtstep::macro {

struct Program;

struct Limits {
  uint64_t max_steps = 1'000'000;              // expressions, statements and loop iterations per render
  size_t max_output_bytes = 1 << 20;           // rendered text
  size_t max_string_bytes = size_t{16} << 20;  // bytes of strings and list items built by one render
};

// The names a template sees, besides its own `set` variables and the globals (range, namespace, dict).
class Context {
 public:
  // Adds or replaces `name`.
  void set(std::string name, Value value);
  const Value* find(std::string_view name) const;
  // Every entry of `dict` (a dict Value with string keys) as a name: how a macro's variables are seen.
  void set_all(const Value& dict);

 private:
  std::vector<std::pair<std::string, Value>> entries_;
};

class Template {
 public:
  // An empty template: renders "".
  Template() = default;

  // Parses `source`. `name` prefixes every message, compile and render ("gcode_macro PRINT_START");
  // `compile_name`, when given, replaces it in compile errors (the config loader names the file, the
  // section and the key there: "printer.cfg:12: [gcode_macro start] gcode").
  static Result<Template> compile(std::string_view source, std::string name, Limits limits = {},
                                  std::string_view compile_name = {});

  // Renders with `context`. Returns the text or the first error; an error leaves no partial output.
  // Callables in the context (actions) run during the render, in template order.
  Result<std::string> render(const Context& context) const;

  const std::string& name() const noexcept { return name_; }
  const std::string& source() const noexcept { return source_ ? *source_ : kEmpty; }

 private:
  std::string name_;
  Limits limits_;
  static inline const std::string kEmpty;
  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const Program> program_;
};

}  // namespace rtstep::macro
