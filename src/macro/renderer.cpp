// Renderer (renderer.hpp): statements, scopes, loops, name and attribute lookup, calls and budgets.

#include "macro/renderer.hpp"

#include <algorithm>

#include "macro/builtins.hpp"

namespace rtstep::macro {

namespace {

// Jinja's name of a type in "has no attribute" messages: "dict object", "None".
std::string object_name(const Value& v) { return v.is_none() ? "None" : v.type_name() + " object"; }

Value missing_attribute(const Value& object, std::string_view name) {
  return Value::undefined("'" + object_name(object) + "' has no attribute '" + std::string(name) + "'");
}

Value missing_element(const Value& object, const Value& key) {
  if (key.is_string()) return missing_attribute(object, key.text());
  return Value::undefined("'" + object_name(object) + "' has no element " + key.repr());
}

Value bound_method(const Value& object, const std::string& name) { return Value::bound_method(object, name); }

// obj[key] as Jinja reads it: the item, else (for a string key) a method of that name, else undefined.
Value get_item(const Value& object, const Value& key) {
  require_defined(object);
  if (object.is_dict()) {
    if (const Value* v = object.dict_data().find(key)) return *v;
  } else if ((object.is_list() || object.is_string()) && (key.is_int() || key.is_bool())) {
    const int64_t size = object.is_list() ? static_cast<int64_t>(object.list_data().items.size())
                                          : static_cast<int64_t>(object.text().size());
    int64_t index = key.as_int();
    if (index < 0) index += size;
    if (index >= 0 && index < size) {
      const auto i = static_cast<size_t>(index);
      return object.is_list() ? object.list_data().items[i] : Value::string(std::string(1, object.text()[i]));
    }
  }
  if (key.is_string() && has_method(object, key.text())) return bound_method(object, key.text());
  return missing_element(object, key);
}

}  // namespace

void require_defined(const Value& v) {
  if (v.is_undefined()) throw EvalError{v.text().empty() ? "value is undefined" : v.text()};
}

std::vector<Value> iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return {};
    case Value::Kind::kList:
      return value.list_data().items;
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      keys.reserve(value.dict_data().entries.size());
      for (const auto& entry : value.dict_data().entries) keys.push_back(entry.first);
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      chars.reserve(value.text().size());
      for (const char c : value.text()) chars.push_back(Value::string(std::string(1, c)));
      return chars;
    }
    default:
      throw EvalError{"'" + value.type_name() + "' object is not iterable"};
  }
}

std::string Renderer::render(const Program& program) {
  run(program.body);
  return std::move(out_);
}

void Renderer::charge_steps(uint64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps) {
    throw EvalError{"template stopped after " + std::to_string(limits_.max_steps) +
                    " evaluation steps (a loop too long for a macro?)"};
  }
}

void Renderer::charge_bytes(size_t bytes) {
  bytes_ += bytes;
  if (bytes_ > limits_.max_string_bytes) {
    throw EvalError{"template stopped: it built more than " + std::to_string(limits_.max_string_bytes) +
                    " bytes of strings and lists"};
  }
}

void Renderer::write(std::string_view text) {
  if (out_.size() + text.size() > limits_.max_output_bytes) {
    throw EvalError{"output longer than " + std::to_string(limits_.max_output_bytes) + " bytes"};
  }
  out_ += text;
}

void Renderer::run(const Body& body) {
  for (const Node& node : body) {
    try {
      run_node(node);
    } catch (EvalError& e) {
      if (e.line == 0) {
        e.line = node.pos.line;
        e.column = node.pos.column;
      }
      throw;
    }
  }
}

void Renderer::run_node(const Node& node) {
  charge_steps(1);
  switch (node.kind) {
    case NodeKind::kText:
      write(node.text);
      return;
    case NodeKind::kOutput: {
      const Value v = eval(*node.expr);
      if (v.is_string()) {
        write(v.text());
      } else {
        write(v.str());
      }
      return;
    }
    case NodeKind::kIf:
      for (const Branch& branch : node.branches) {
        if (!branch.condition || eval(*branch.condition).truthy()) {
          run(branch.body);
          return;
        }
      }
      return;
    case NodeKind::kFor:
      run_for(node);
      return;
    case NodeKind::kSet:
      run_set(node);
      return;
    case NodeKind::kSetBlock: {
      std::string saved = std::move(out_);
      out_.clear();
      run(node.body);
      std::string captured = std::move(out_);
      out_ = std::move(saved);
      bind(node.targets.front(), Value::string(std::move(captured)));
      return;
    }
  }
}

void Renderer::run_for(const Node& node) {
  std::vector<Value> all = iterate(eval(*node.expr));
  charge_steps(all.size());
  const size_t outer_vars = vars_.size();
  const size_t outer_scope = scope_start_;
  scope_start_ = outer_vars;
  std::vector<Value> items;
  if (node.condition) {  // `for x in xs if cond`: filtered first, so loop.length counts what is kept
    for (Value& item : all) {
      bind_targets(node.targets, item);
      if (eval(*node.condition).truthy()) items.push_back(std::move(item));
      vars_.resize(outer_vars);
    }
  } else {
    items = std::move(all);
  }
  loops_.push_back(Loop{&items, 0});
  for (size_t i = 0; i < items.size(); ++i) {
    charge_steps(1);
    loops_.back().index0 = i;
    bind_targets(node.targets, items[i]);
    run(node.body);
    vars_.resize(outer_vars);  // each iteration starts from the enclosing scope, as in Jinja
  }
  loops_.pop_back();
  scope_start_ = outer_scope;
  if (items.empty()) run(node.else_body);
}

void Renderer::run_set(const Node& node) {
  Value v = eval(*node.expr);
  if (node.attribute.empty()) return bind_targets(node.targets, v);
  const Value* target = lookup(node.targets.front());
  if (target == nullptr || !target->is_dict()) {
    throw EvalError{"cannot assign attribute on '" + node.targets.front() + "': not a namespace"};
  }
  check_insert(*this, *target, v);
  target->dict_data().set(node.attribute, std::move(v));
}

void Renderer::bind(std::string_view name, Value value) {
  for (size_t i = scope_start_; i < vars_.size(); ++i) {
    if (vars_[i].first == name) {
      vars_[i].second = std::move(value);
      return;
    }
  }
  vars_.emplace_back(name, std::move(value));
}

void Renderer::bind_targets(const std::vector<std::string>& targets, const Value& value) {
  if (targets.size() == 1) return bind(targets.front(), value);
  if (!value.is_list()) throw EvalError{"cannot unpack a non-sequence " + value.type_name()};
  const auto& items = value.list_data().items;
  if (items.size() != targets.size()) {
    throw EvalError{(items.size() > targets.size() ? "too many" : "not enough") +
                    std::string(" values to unpack (expected ") + std::to_string(targets.size()) + ", got " +
                    std::to_string(items.size()) + ")"};
  }
  for (size_t i = 0; i < targets.size(); ++i) bind(targets[i], items[i]);
}

const Value* Renderer::lookup(std::string_view name) const {
  for (size_t i = vars_.size(); i-- > 0;) {
    if (vars_[i].first == name) return &vars_[i].second;
  }
  return context_.find(name);
}

Value Renderer::eval(const Expr& expr) {
  charge_steps(1);
  try {
    return eval_node(expr);
  } catch (EvalError& e) {
    if (e.line == 0) {
      e.line = expr.pos.line;
      e.column = expr.pos.column;
    }
    throw;
  }
}

Value Renderer::eval_node(const Expr& expr) {
  const auto& ops = expr.operands;
  switch (expr.kind) {
    case ExprKind::kLiteral:
      return expr.literal;
    case ExprKind::kName:
      return eval_name(expr.name);
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      items.reserve(ops.size());
      for (const auto& op : ops) items.push_back(eval(*op));
      return expr.kind == ExprKind::kList ? Value::list(std::move(items)) : Value::tuple(std::move(items));
    }
    case ExprKind::kDict: {
      Value dict = Value::dict();
      for (size_t i = 0; i + 1 < ops.size(); i += 2) {
        Value key = eval(*ops[i]);  // the key first, then the value, as Python evaluates them
        dict.dict_data().set(std::move(key), eval(*ops[i + 1]));
      }
      return dict;
    }
    case ExprKind::kAttribute:
      return eval_attribute(expr);
    case ExprKind::kItem:
      return get_item(eval(*ops[0]), eval(*ops[1]));
    case ExprKind::kSlice:
      return eval_slice(expr);
    case ExprKind::kCall:
      return eval_call(expr);
    case ExprKind::kMethod:
      return eval_method(expr);
    case ExprKind::kFilter:
      return eval_filter(expr);
    case ExprKind::kTest:
      return Value::boolean(eval_test(expr) != expr.negated);
    case ExprKind::kNegate:
    case ExprKind::kPlus: {
      const Value v = eval(*ops[0]);
      require_defined(v);
      if (!v.is_number()) {
        throw EvalError{std::string("bad operand type for unary ") + (expr.kind == ExprKind::kNegate ? "-" : "+") +
                        ": '" + v.type_name() + "'"};
      }
      if (expr.kind == ExprKind::kPlus) return v.is_bool() ? Value::integer(v.as_int()) : v;
      if (v.is_float()) return Value::real(-v.as_double());  // -0.0 stays negative zero, as in Python
      return binary_op(*this, BinaryOp::kSub, Value::integer(0), v);
    }
    case ExprKind::kNot:
      return Value::boolean(!eval(*ops[0]).truthy());
    case ExprKind::kBinary: {
      const Value a = eval(*ops[0]);
      return binary_op(*this, expr.binary, a, eval(*ops[1]));
    }
    case ExprKind::kAnd: {
      Value a = eval(*ops[0]);
      return a.truthy() ? eval(*ops[1]) : a;
    }
    case ExprKind::kOr: {
      Value a = eval(*ops[0]);
      return a.truthy() ? a : eval(*ops[1]);
    }
    case ExprKind::kCompare:
      return eval_compare(expr);
    case ExprKind::kConcat:
      return eval_concat(expr);
    case ExprKind::kCondition:
      if (eval(*ops[1]).truthy()) return eval(*ops[0]);
      return ops[2] ? eval(*ops[2]) : Value::undefined("the condition of an inline if was false and it has no else");
  }
  return {};
}

Value Renderer::eval_name(const std::string& name) {
  if (const Value* v = lookup(name)) return *v;
  if (name == "loop" && !loops_.empty()) return loop_value(loops_.back());
  Value global = find_global(*this, name);
  if (!global.is_undefined()) return global;
  return Value::undefined("'" + name + "' is undefined");
}

Value Renderer::eval_attribute(const Expr& expr) {
  const Expr& object_expr = *expr.operands[0];
  if (object_expr.kind == ExprKind::kName && object_expr.name == "loop" && !loops_.empty() &&
      lookup("loop") == nullptr) {
    return loop_attribute(loops_.back(), expr.name);
  }
  const Value object = eval(object_expr);
  require_defined(object);
  if (has_method(object, expr.name)) return bound_method(object, expr.name);
  if (object.is_dict()) {
    if (const Value* v = object.dict_data().find(std::string_view(expr.name))) return *v;
  }
  return missing_attribute(object, expr.name);
}

Value Renderer::eval_method(const Expr& expr) {
  const Expr& object_expr = *expr.operands[0];
  CallArgs args = eval_args(expr, 1);
  if (object_expr.kind == ExprKind::kName && object_expr.name == "loop" && !loops_.empty() && expr.name == "cycle" &&
      lookup("loop") == nullptr) {
    if (args.positional.empty()) throw EvalError{"loop.cycle() needs at least one value"};
    return args.positional[loops_.back().index0 % args.positional.size()];
  }
  const Value object = eval(object_expr);
  require_defined(object);
  if (has_method(object, expr.name)) return call_method(*this, object, expr.name, args);
  // Not a method: an item that holds a callable (printer["x"].fn(...)) or an error.
  Value member = object.is_dict() ? get_item(object, Value::string(expr.name)) : missing_attribute(object, expr.name);
  require_defined(member);
  if (!member.is_callable()) throw EvalError{"'" + member.type_name() + "' object is not callable"};
  return member.callable_data().fn(args);
}

Value Renderer::eval_call(const Expr& expr) {
  const Value callee = eval(*expr.operands[0]);
  CallArgs args = eval_args(expr, 1);
  require_defined(callee);
  if (!callee.is_callable()) throw EvalError{"'" + callee.type_name() + "' object is not callable"};
  const Callable& fn = callee.callable_data();
  if (!fn.method.empty()) return call_method(*this, fn.bound_self, fn.method, args);
  charge_steps(1);
  return fn.fn(args);
}

CallArgs Renderer::eval_args(const Expr& expr, size_t first) {
  CallArgs args;
  const size_t keyword_start = expr.operands.size() - expr.keywords.size();
  for (size_t i = first; i < expr.operands.size(); ++i) {
    Value v = eval(*expr.operands[i]);
    if (i < keyword_start) {
      args.positional.push_back(std::move(v));
    } else {
      args.keywords.emplace_back(expr.keywords[i - keyword_start], std::move(v));
    }
  }
  return args;
}

Value Renderer::eval_filter(const Expr& expr) {
  Value v = eval(*expr.operands[0]);
  CallArgs args = eval_args(expr, 1);
  return expr.filter(*this, v, args);
}

bool Renderer::eval_test(const Expr& expr) {
  const Value v = eval(*expr.operands[0]);
  CallArgs args = eval_args(expr, 1);
  return expr.test(v, args);
}

Value Renderer::eval_compare(const Expr& expr) {
  Value left = eval(*expr.operands[0]);
  for (size_t i = 0; i < expr.compare_ops.size(); ++i) {
    Value right = eval(*expr.operands[i + 1]);
    if (!compare_op(expr.compare_ops[i], left, right)) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

Value Renderer::eval_concat(const Expr& expr) {
  std::string text;
  for (const auto& op : expr.operands) {
    const Value v = eval(*op);
    text += v.is_string() ? v.text() : v.str();
  }
  return make_string(std::move(text));
}

Value Renderer::eval_slice(const Expr& expr) {
  const Value object = eval(*expr.operands[0]);
  require_defined(object);
  if (!object.is_list() && !object.is_string()) throw EvalError{"'" + object.type_name() + "' object is not subscriptable"};
  const auto size = static_cast<int64_t>(object.is_list() ? object.list_data().items.size() : object.text().size());
  int64_t bound[3] = {0, size, 1};
  bool given[3] = {false, false, false};
  for (int i = 0; i < 3; ++i) {
    if (!expr.operands[static_cast<size_t>(i) + 1]) continue;
    const Value v = eval(*expr.operands[static_cast<size_t>(i) + 1]);
    if (v.is_none()) continue;
    if (!v.is_int() && !v.is_bool()) throw EvalError{"slice indices must be integers or None"};
    bound[i] = v.as_int();
    given[i] = true;
  }
  const int64_t step = bound[2];
  if (step == 0) throw EvalError{"slice step cannot be zero"};
  // Python's slice bounds: negative counts from the end, then clamped; defaults depend on the step sign.
  auto clamp = [&](int64_t i, bool was_given, int64_t fallback) {
    if (!was_given) return fallback;
    if (i < 0) i += size;
    if (step > 0) return std::clamp<int64_t>(i, 0, size);
    return std::clamp<int64_t>(i, -1, size - 1);
  };
  const int64_t start = clamp(bound[0], given[0], step > 0 ? 0 : size - 1);
  const int64_t stop = clamp(bound[1], given[1], step > 0 ? size : -1);
  std::vector<Value> items;
  std::string text;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    const auto k = static_cast<size_t>(i);
    if (object.is_list()) {
      items.push_back(object.list_data().items[k]);
    } else {
      text += object.text()[k];
    }
  }
  charge_steps(items.size() + text.size());
  if (object.is_string()) return make_string(std::move(text));
  return object.is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
}

Value Renderer::loop_attribute(const Loop& loop, std::string_view name) {
  const auto& items = *loop.items;
  const auto i = static_cast<int64_t>(loop.index0);
  const auto n = static_cast<int64_t>(items.size());
  if (name == "index") return Value::integer(i + 1);
  if (name == "index0") return Value::integer(i);
  if (name == "revindex") return Value::integer(n - i);
  if (name == "revindex0") return Value::integer(n - i - 1);
  if (name == "first") return Value::boolean(i == 0);
  if (name == "last") return Value::boolean(i == n - 1);
  if (name == "length") return Value::integer(n);
  if (name == "depth") return Value::integer(static_cast<int64_t>(loops_.size()));
  if (name == "depth0") return Value::integer(static_cast<int64_t>(loops_.size()) - 1);
  if (name == "previtem") return i > 0 ? items[loop.index0 - 1] : Value::undefined("there is no previous item");
  if (name == "nextitem") return i + 1 < n ? items[loop.index0 + 1] : Value::undefined("there is no next item");
  return Value::undefined("'loop' has no attribute '" + std::string(name) + "'");
}

Value Renderer::loop_value(const Loop& loop) {
  Value dict = Value::dict();
  for (const char* name : {"index", "index0", "revindex", "revindex0", "first", "last", "length"}) {
    dict.dict_data().set(name, loop_attribute(loop, name));
  }
  return dict;
}

}  // namespace rtstep::macro
