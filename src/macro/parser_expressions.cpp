// Parser of Klipper's template language, the expressions (parser_state.hpp): one function per precedence
// level, lowest first, then primaries, postfix operators, filters and tests.

#include "macro/parser_state.hpp"

namespace rtstep::macro::parsing {

// --- expressions, lowest precedence first ---

ExprPtr Parser::parse_expression() {
  const Depth depth(*this, peek());
  ExprPtr then = parse_or();
  while (at_name("if")) {
    const SourcePos pos = next().pos;
    auto cond = make(ExprKind::kCondition, pos);
    attach(*cond, std::move(then));
    attach(*cond, parse_or());
    attach(*cond, skip_name("else") ? parse_expression() : nullptr);
    then = std::move(cond);
  }
  return then;
}

ExprPtr Parser::parse_or() {
  ExprPtr left = parse_and();
  while (at_name("or")) {
    auto node = make(ExprKind::kOr, next().pos);
    attach(*node, std::move(left));
    attach(*node, parse_and());
    left = std::move(node);
  }
  return left;
}

ExprPtr Parser::parse_and() {
  ExprPtr left = parse_not();
  while (at_name("and")) {
    auto node = make(ExprKind::kAnd, next().pos);
    attach(*node, std::move(left));
    attach(*node, parse_not());
    left = std::move(node);
  }
  return left;
}

ExprPtr Parser::parse_not() {
  if (at_name("not")) {
    const Depth depth(*this, peek());
    auto node = make(ExprKind::kNot, next().pos);
    attach(*node, parse_not());
    return node;
  }
  return parse_compare();
}

ExprPtr Parser::parse_compare() {
  ExprPtr first = parse_math1();
  ExprPtr chain;
  for (;;) {
    const Token& t = peek();
    std::optional<CompareOp> op;
    if (t.kind == TokenKind::kOperator) {
      if (t.text == "==") op = CompareOp::kEq;
      else if (t.text == "!=") op = CompareOp::kNe;
      else if (t.text == "<") op = CompareOp::kLt;
      else if (t.text == "<=") op = CompareOp::kLe;
      else if (t.text == ">") op = CompareOp::kGt;
      else if (t.text == ">=") op = CompareOp::kGe;
    } else if (at_name("in")) {
      op = CompareOp::kIn;
    } else if (at_name("not") && at_name("in", 1)) {
      op = CompareOp::kNotIn;
      next();
    }
    if (!op) break;
    const SourcePos pos = next().pos;
    if (!chain) {
      chain = make(ExprKind::kCompare, pos);
      attach(*chain, std::move(first));
    }
    chain->compare_ops.push_back(*op);
    attach(*chain, parse_math1());
  }
  return chain ? std::move(chain) : std::move(first);
}

ExprPtr Parser::parse_math1() {
  ExprPtr left = parse_concat();
  while (at_op("+") || at_op("-")) {
    auto node = make(ExprKind::kBinary, peek().pos);
    node->binary = next().text == "+" ? BinaryOp::kAdd : BinaryOp::kSub;
    attach(*node, std::move(left));
    attach(*node, parse_concat());
    left = std::move(node);
  }
  return left;
}

ExprPtr Parser::parse_concat() {
  ExprPtr first = parse_math2();
  if (!at_op("~")) return first;
  auto node = make(ExprKind::kConcat, peek().pos);
  attach(*node, std::move(first));
  while (skip_op("~")) attach(*node, parse_math2());
  return node;
}

ExprPtr Parser::parse_math2() {
  ExprPtr left = parse_pow();
  for (;;) {
    BinaryOp op;
    if (at_op("*")) op = BinaryOp::kMul;
    else if (at_op("/")) op = BinaryOp::kDiv;
    else if (at_op("//")) op = BinaryOp::kFloorDiv;
    else if (at_op("%")) op = BinaryOp::kMod;
    else return left;
    auto node = make(ExprKind::kBinary, next().pos);
    node->binary = op;
    attach(*node, std::move(left));
    attach(*node, parse_pow());
    left = std::move(node);
  }
}

ExprPtr Parser::parse_pow() {
  ExprPtr left = parse_unary(true);
  while (at_op("**")) {
    auto node = make(ExprKind::kBinary, next().pos);
    node->binary = BinaryOp::kPow;
    attach(*node, std::move(left));
    attach(*node, parse_unary(true));
    left = std::move(node);
  }
  return left;
}

ExprPtr Parser::parse_unary(bool with_filter) {
  const Depth depth(*this, peek());
  ExprPtr node;
  if (at_op("-") || at_op("+")) {
    const bool minus = at_op("-");
    node = make(minus ? ExprKind::kNegate : ExprKind::kPlus, next().pos);
    attach(*node, parse_unary(false));
  } else {
    node = parse_postfix(parse_primary());
  }
  return with_filter ? parse_filters(std::move(node)) : std::move(node);
}

ExprPtr Parser::parse_primary() {
  const Token& t = peek();
  const SourcePos pos = t.pos;
  switch (t.kind) {
    case TokenKind::kName: {
      const std::string& name = t.text;
      auto node = make(ExprKind::kLiteral, pos);
      if (name == "true" || name == "True") node->literal = Value::boolean(true);
      else if (name == "false" || name == "False") node->literal = Value::boolean(false);
      else if (name == "none" || name == "None") node->literal = Value::none();
      else if (is_keyword(name)) unexpected(t, "an expression");
      else {
        node->kind = ExprKind::kName;
        node->name = name;
      }
      next();
      return node;
    }
    case TokenKind::kInt:
    case TokenKind::kFloat: {
      auto node = make(ExprKind::kLiteral, pos);
      node->literal = t.kind == TokenKind::kInt ? Value::integer(t.int_value) : Value::real(t.float_value);
      next();
      return node;
    }
    case TokenKind::kString: {
      std::string text;
      while (peek().kind == TokenKind::kString) text += next().text;  // "a" "b" is "ab", as in Python
      auto node = make(ExprKind::kLiteral, pos);
      node->literal = Value::string(std::move(text));
      return node;
    }
    case TokenKind::kOperator:
      if (t.text == "(" || t.text == "[" || t.text == "{") {
        const char open = next().text.front();
        if (open == '(') return parse_sequence(ExprKind::kTuple, ")", pos);
        if (open == '[') return parse_sequence(ExprKind::kList, "]", pos);
        return parse_dict(pos);
      }
      break;
    default:
      break;
  }
  unexpected(t, "an expression");
}

// `( ... )` (a tuple when it has a comma or is empty, else the bracketed expression) or `[ ... ]`.
ExprPtr Parser::parse_sequence(ExprKind kind, std::string_view close, SourcePos pos) {
  const Depth depth(*this, peek());
  auto node = make(kind, pos);
  bool comma = false;
  while (!at_op(close)) {
    attach(*node, parse_expression());
    if (!skip_op(",")) break;
    comma = true;
  }
  expect_op(close);
  if (kind == ExprKind::kTuple && !comma && node->operands.size() == 1) return std::move(node->operands.front());
  return node;
}

ExprPtr Parser::parse_dict(SourcePos pos) {
  const Depth depth(*this, peek());
  auto node = make(ExprKind::kDict, pos);
  while (!at_op("}")) {
    attach(*node, parse_expression());
    expect_op(":");
    attach(*node, parse_expression());
    if (!skip_op(",")) break;
  }
  expect_op("}");
  return node;
}

ExprPtr Parser::parse_postfix(ExprPtr node) {
  for (;;) {
    const SourcePos pos = peek().pos;
    if (skip_op(".")) {
      const Token& t = peek();
      if (t.kind == TokenKind::kInt) {  // x.0 is x[0], as in Jinja
        auto item = make(ExprKind::kItem, pos);
        attach(*item, std::move(node));
        auto key = make(ExprKind::kLiteral, t.pos);
        key->literal = Value::integer(next().int_value);
        attach(*item, std::move(key));
        node = std::move(item);
        continue;
      }
      auto attr = make(ExprKind::kAttribute, pos);
      attr->name = expect_name();
      attach(*attr, std::move(node));
      node = std::move(attr);
    } else if (skip_op("[")) {
      node = parse_subscript(std::move(node), pos);
    } else if (at_op("(")) {
      next();
      ExprPtr call;
      if (node->kind == ExprKind::kAttribute) {  // a.b(...): a method call, resolved when rendering
        call = make(ExprKind::kMethod, node->pos);
        call->name = std::move(node->name);
        attach(*call, std::move(node->operands.front()));
      } else {
        call = make(ExprKind::kCall, pos);
        attach(*call, std::move(node));
      }
      parse_call_args(*call);
      node = std::move(call);
    } else {
      return node;
    }
  }
}

ExprPtr Parser::parse_subscript(ExprPtr object, SourcePos pos) {
  const Depth depth(*this, peek());
  ExprPtr parts[3];
  int index = 0;
  bool slice = false;
  for (;;) {
    if (!at_op(":") && !at_op("]")) parts[index] = parse_expression();
    if (!skip_op(":")) break;
    slice = true;
    if (++index > 2) unexpected(peek(), "']'");
  }
  expect_op("]");
  if (!slice) {
    if (!parts[0]) fail(peek(), "empty subscript '[]'");
    auto item = make(ExprKind::kItem, pos);
    attach(*item, std::move(object));
    attach(*item, std::move(parts[0]));
    return item;
  }
  auto node = make(ExprKind::kSlice, pos);
  attach(*node, std::move(object));
  for (auto& part : parts) attach(*node, std::move(part));
  return node;
}

// `(a, b, key=c)` after the opening bracket: positional arguments first, then keywords.
void Parser::parse_call_args(Expr& call) {
  const Depth depth(*this, peek());
  while (!at_op(")")) {
    if (peek().kind == TokenKind::kName && at_op("=", 1)) {
      call.keywords.push_back(next().text);
      next();
    } else if (!call.keywords.empty()) {
      fail(peek(), "positional argument after a keyword argument");
    }
    attach(call, parse_expression());
    if (!skip_op(",")) break;
  }
  expect_op(")");
}

ExprPtr Parser::parse_filters(ExprPtr node) {
  for (;;) {
    const SourcePos pos = peek().pos;
    if (skip_op("|")) {
      const Token& name = peek();
      auto filter = make(ExprKind::kFilter, name.pos);
      filter->name = expect_name();
      filter->filter = find_filter(filter->name);
      if (filter->filter == nullptr) fail(name, "no filter named '" + filter->name + "'");
      attach(*filter, std::move(node));
      if (skip_op("(")) parse_call_args(*filter);
      node = std::move(filter);
    } else if (at_name("is")) {
      next();
      node = parse_test(std::move(node), pos);
    } else if (at_op("(")) {  // a call on a filtered value
      next();
      auto call = make(ExprKind::kCall, pos);
      attach(*call, std::move(node));
      parse_call_args(*call);
      node = std::move(call);
    } else {
      return node;
    }
  }
}

// After `is`: [not] name, then (args) or one bare argument (`is divisibleby 3`, `is sameas none`).
ExprPtr Parser::parse_test(ExprPtr node, SourcePos pos) {
  auto test = make(ExprKind::kTest, pos);
  test->negated = skip_name("not");
  const Token& name = peek();
  test->name = expect_name();
  test->test = find_test(test->name);
  if (test->test == nullptr) fail(name, "no test named '" + test->name + "'");
  attach(*test, std::move(node));
  const Token& t = peek();
  if (skip_op("(")) {
    parse_call_args(*test);
  } else if (t.kind == TokenKind::kInt || t.kind == TokenKind::kFloat || t.kind == TokenKind::kString ||
             (t.kind == TokenKind::kName && !is_keyword(t.text)) || at_op("[") || at_op("{")) {
    attach(*test, parse_postfix(parse_primary()));
  }
  return test;
}

}  // namespace rtstep::macro::parsing
