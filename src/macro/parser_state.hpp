#pragma once
// The template parser's state (parser.cpp: statements; parser_expressions.cpp: expressions), shared by the
// two halves of one recursive-descent parser. Private to src/macro; the contract is parser.hpp.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "macro/builtins.hpp"
#include "macro/parser.hpp"

namespace rtstep::macro::parsing {

inline bool is_keyword(std::string_view name) {
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

}  // namespace rtstep::macro::parsing
