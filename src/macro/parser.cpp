// Parser of Klipper's template language (parser.hpp): recursive descent over the lexer's tokens, one
// function per precedence level as Jinja2's own parser is laid out.

#include "macro/parser.hpp"

#include <algorithm>
#include <optional>

#include "macro/builtins.hpp"

namespace rtstep::macro {

namespace {

bool is_keyword(std::string_view name) {
  return name == "and" || name == "or" || name == "not" || name == "in" || name == "is" || name == "if" ||
         name == "else";
}

class Parser {
 public:
  explicit Parser(std::string_view source) : tokens_(tokenize(source)) {}

  Program run() {
    Program program;
    std::string end;
    program.body = parse_body({}, end);
    return program;
  }

 private:
  // --- token helpers ---
  const Token& peek(size_t ahead = 0) const {
    const size_t i = std::min(i_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& next() {
    const Token& t = tokens_[i_];
    if (i_ + 1 < tokens_.size()) ++i_;
    return t;
  }
  bool at_op(std::string_view op, size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.kind == TokenKind::kOperator && t.text == op;
  }
  bool at_name(std::string_view name, size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.kind == TokenKind::kName && t.text == name;
  }
  bool skip_op(std::string_view op) {
    if (!at_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!at_name(name)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const Token& at, std::string message) { throw SyntaxError{at.pos, std::move(message)}; }
  [[noreturn]] void unexpected(const Token& at, std::string_view wanted = {}) {
    std::string message = "unexpected " + describe(at);
    if (!wanted.empty()) message += ", expected " + std::string(wanted);
    fail(at, message);
  }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) unexpected(peek(), "'" + std::string(op) + "'");
  }
  std::string expect_name() {
    if (peek().kind != TokenKind::kName) unexpected(peek(), "a name");
    return next().text;
  }
  void expect_block_end() {
    if (peek().kind != TokenKind::kBlockEnd) unexpected(peek(), "'%}'");
    next();
  }

  // Guards recursion: blocks inside blocks, brackets inside brackets, operators on operators.
  struct Depth {
    Depth(Parser& p, const Token& at) : parser(p) {
      if (++parser.depth_ > kMaxParseDepth) {
        parser.fail(at, "nesting deeper than " + std::to_string(kMaxParseDepth) + " levels");
      }
    }
    ~Depth() { --parser.depth_; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
    Parser& parser;
  };

  // Adds an operand, keeping the tree no taller than kMaxParseDepth: a long chain like a + b + ... is
  // read by a loop here but evaluated (and freed) by recursion.
  void attach(Expr& parent, ExprPtr child) {
    if (child) {
      parent.height = std::max(parent.height, child->height + 1);
      if (parent.height > static_cast<uint32_t>(kMaxParseDepth) * 2) {
        throw SyntaxError{parent.pos, "expression nests deeper than " + std::to_string(kMaxParseDepth * 2) + " levels"};
      }
    }
    parent.operands.push_back(std::move(child));
  }

  static ExprPtr make(ExprKind kind, SourcePos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }

  // --- statements ---
  Body parse_body(std::initializer_list<std::string_view> ends, std::string& found_end);
  Node parse_statement(const Token& open);
  Node parse_if(SourcePos pos);
  Node parse_for(SourcePos pos);
  Node parse_set(SourcePos pos);
  std::vector<std::string> parse_targets();

  // --- expressions ---
  ExprPtr parse_expression();
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_math1();
  ExprPtr parse_concat();
  ExprPtr parse_math2();
  ExprPtr parse_pow();
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  ExprPtr parse_sequence(ExprKind kind, std::string_view close, SourcePos pos);
  ExprPtr parse_dict(SourcePos pos);
  ExprPtr parse_postfix(ExprPtr node);
  ExprPtr parse_subscript(ExprPtr object, SourcePos pos);
  ExprPtr parse_filters(ExprPtr node);
  ExprPtr parse_test(ExprPtr node, SourcePos pos);
  void parse_call_args(Expr& call);

  // "'{% for %}' at 2:1 is not closed (expected '{% endfor %}')", for the innermost open block.
  std::string still_open() const {
    const OpenBlock& block = open_.back();
    return "'{% " + block.name + " %}' at " + std::to_string(block.pos.line) + ":" + std::to_string(block.pos.column) +
           " is not closed (expected '{% end" + block.name + " %}')";
  }

  struct OpenBlock {
    std::string name;  // if, for, set
    SourcePos pos;
  };

  std::vector<Token> tokens_;
  size_t i_ = 0;
  int depth_ = 0;
  std::vector<OpenBlock> open_;  // statements whose end tag has not been read yet
};

// Nodes until one of the end tags (`{% endif %}`, `{% else %}`, ...); the tag found is left unread
// after its name and returned in `found_end`. At top level (no ends) reads to the end of the template.
Body Parser::parse_body(std::initializer_list<std::string_view> ends, std::string& found_end) {
  Body body;
  for (;;) {
    const Token& t = peek();
    if (t.kind == TokenKind::kEnd) {
      if (ends.size() == 0) return body;
      fail(t, "unexpected end of template: " + still_open());
    }
    if (t.kind == TokenKind::kData) {
      Node node;
      node.kind = NodeKind::kText;
      node.pos = t.pos;
      node.text = next().text;
      body.push_back(std::move(node));
    } else if (t.kind == TokenKind::kVarBegin) {
      next();
      Node node;
      node.kind = NodeKind::kOutput;
      node.pos = peek().pos;
      if (peek().kind == TokenKind::kVarEnd) unexpected(peek(), "an expression");
      node.expr = parse_expression();
      if (peek().kind != TokenKind::kVarEnd) unexpected(peek(), "'}'");
      next();
      body.push_back(std::move(node));
    } else {  // kBlockBegin
      const Token& open = next();
      const Token& tag = peek();
      for (const std::string_view end : ends) {
        if (tag.kind == TokenKind::kName && tag.text == end) {
          found_end = next().text;
          return body;
        }
      }
      body.push_back(parse_statement(open));
    }
  }
}

Node Parser::parse_statement(const Token& open) {
  const Depth depth(*this, open);
  const Token& tag = peek();
  if (tag.kind != TokenKind::kName) unexpected(tag, "a statement name (if, for, set)");
  const SourcePos pos = tag.pos;
  const std::string name = tag.text;
  if (name == "if" || name == "for" || name == "set") {
    next();
    open_.push_back(OpenBlock{name, open.pos});
    struct Pop {
      std::vector<OpenBlock>& open;
      ~Pop() { open.pop_back(); }
    } pop{open_};
    if (name == "if") return parse_if(pos);
    if (name == "for") return parse_for(pos);
    return parse_set(pos);
  }
  if (tag.text == "elif" || tag.text == "else" || tag.text == "endif" || tag.text == "endfor" ||
      tag.text == "endset") {
    if (open_.empty()) fail(tag, "unexpected '{% " + tag.text + " %}' without a matching opening statement");
    fail(tag, "unexpected '{% " + tag.text + " %}': " + still_open());
  }
  fail(tag, "unknown statement '" + tag.text + "'");
}

Node Parser::parse_if(SourcePos pos) {
  Node node;
  node.kind = NodeKind::kIf;
  node.pos = pos;
  std::string end = "elif";
  while (end == "elif") {
    Branch branch;
    branch.condition = parse_expression();
    expect_block_end();
    branch.body = parse_body({"elif", "else", "endif"}, end);
    node.branches.push_back(std::move(branch));
  }
  if (end == "else") {
    expect_block_end();
    Branch branch;
    branch.body = parse_body({"endif"}, end);
    node.branches.push_back(std::move(branch));
  }
  expect_block_end();
  return node;
}

std::vector<std::string> Parser::parse_targets() {
  std::vector<std::string> targets;
  const bool parens = skip_op("(");
  do {
    if (!targets.empty() && (at_name("in") || at_op("=") || at_op(")"))) break;  // trailing comma
    targets.push_back(expect_name());
  } while (skip_op(","));
  if (parens) expect_op(")");
  for (const std::string& t : targets) {
    if (t == "loop" || t == "true" || t == "false" || t == "none" || t == "True" || t == "False" || t == "None" ||
        is_keyword(t)) {
      fail(peek(), "cannot assign to '" + t + "'");
    }
  }
  return targets;
}

Node Parser::parse_for(SourcePos pos) {
  Node node;
  node.kind = NodeKind::kFor;
  node.pos = pos;
  node.targets = parse_targets();
  if (!skip_name("in")) unexpected(peek(), "'in'");
  node.expr = parse_or();  // not a conditional expression: its `if` filters the loop
  if (skip_name("if")) node.condition = parse_expression();
  if (at_name("recursive")) fail(peek(), "recursive loops are not supported");
  expect_block_end();
  std::string end;
  node.body = parse_body({"else", "endfor"}, end);
  if (end == "else") {
    expect_block_end();
    node.else_body = parse_body({"endfor"}, end);
  }
  expect_block_end();
  return node;
}

Node Parser::parse_set(SourcePos pos) {
  Node node;
  node.kind = NodeKind::kSet;
  node.pos = pos;
  if (peek().kind == TokenKind::kName && at_op(".", 1)) {
    node.targets.push_back(next().text);
    next();
    node.attribute = expect_name();
  } else {
    node.targets = parse_targets();
  }
  if (peek().kind == TokenKind::kBlockEnd && node.targets.size() == 1 && node.attribute.empty()) {
    next();
    node.kind = NodeKind::kSetBlock;
    std::string end;
    node.body = parse_body({"endset"}, end);
    expect_block_end();
    return node;
  }
  expect_op("=");
  const SourcePos value_pos = peek().pos;
  node.expr = parse_expression();
  if (at_op(",")) {  // {% set a, b = 1, 2 %}: a tuple without brackets
    auto tuple = make(ExprKind::kTuple, value_pos);
    attach(*tuple, std::move(node.expr));
    while (skip_op(",")) {
      if (peek().kind == TokenKind::kBlockEnd) break;
      attach(*tuple, parse_expression());
    }
    node.expr = std::move(tuple);
  }
  expect_block_end();
  return node;
}

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

}  // namespace

Program parse(std::string_view source) { return Parser(source).run(); }

}  // namespace rtstep::macro
