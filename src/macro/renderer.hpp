#pragma once
// Renderer: walks a Program with a Context and writes the output (internal to src/macro). One Renderer
// per render; it holds the scopes of `set` and loop variables, the loop states and the budgets of
// Limits, which every evaluation step, loop iteration and built string is charged against.
// Failures are thrown as EvalError and located at the innermost expression; Template::render catches them.
// Non-real-time.

#include <string>
#include <string_view>
#include <vector>

#include "macro/ast.hpp"
#include "macro/template.hpp"

namespace rtstep::macro {

class Renderer {
 public:
  Renderer(const Context& context, const Limits& limits) : context_(context), limits_(limits) {}

  // The rendered text. Throws EvalError.
  std::string render(const Program& program);

  Value eval(const Expr& expr);

  // Budgets: throw EvalError once a render has used more than its Limits allow.
  void charge_steps(uint64_t steps);
  void charge_bytes(size_t bytes);
  // A string value charged against the byte budget.
  Value make_string(std::string text) {
    charge_bytes(text.size());
    return Value::string(std::move(text));
  }

 private:
  struct Loop {
    const std::vector<Value>* items;
    size_t index0;
  };

  void run(const Body& body);
  void run_node(const Node& node);
  void run_for(const Node& node);
  void run_set(const Node& node);
  void write(std::string_view text);

  Value eval_node(const Expr& expr);
  Value eval_name(const std::string& name);
  Value eval_attribute(const Expr& expr);
  Value eval_method(const Expr& expr);
  Value eval_call(const Expr& expr);
  Value eval_filter(const Expr& expr);
  bool eval_test(const Expr& expr);
  Value eval_compare(const Expr& expr);
  Value eval_concat(const Expr& expr);
  Value eval_slice(const Expr& expr);
  CallArgs eval_args(const Expr& expr, size_t first);
  Value loop_attribute(const Loop& loop, std::string_view name);
  Value loop_value(const Loop& loop);

  // Scopes: `set` binds in the innermost scope; a loop iteration opens one and drops it afterwards.
  void bind(std::string_view name, Value value);
  void bind_targets(const std::vector<std::string>& targets, const Value& value);
  const Value* lookup(std::string_view name) const;

  const Context& context_;
  const Limits& limits_;
  std::string out_;
  uint64_t steps_ = 0;
  size_t bytes_ = 0;
  std::vector<std::pair<std::string_view, Value>> vars_;  // names point into the Program
  size_t scope_start_ = 0;                                // first variable of the innermost scope
  std::vector<Loop> loops_;
};

// Python's binary operators and comparisons (operators.cpp). Throw EvalError on type errors, division
// by zero and integer overflow.
Value binary_op(Renderer& renderer, BinaryOp op, const Value& a, const Value& b);
bool compare_op(CompareOp op, const Value& a, const Value& b);
bool contains(const Value& container, const Value& item);
// Python's % string formatting: "%.2f" % x, "%s and %s" % (a, b), "%(key)s" % dict (format.cpp).
std::string percent_format(const std::string& format, const Value& args);
// Python's str.format with {}, {0}, {name} and format specs like {:.2f}, {:>5} (format.cpp).
std::string brace_format(const std::string& format, const CallArgs& args);
// The items a for loop or a filter iterates over: list items, dict keys, string characters; undefined
// gives none. Throws for other kinds ("'int' object is not iterable").
std::vector<Value> iterate(const Value& value);
// Throws the undefined value's error if `v` is undefined.
void require_defined(const Value& v);

}  // namespace rtstep::macro
