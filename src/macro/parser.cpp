// Parser of Klipper's template language (parser.hpp): recursive descent over the lexer's tokens, one
// function per precedence level as Jinja2's own parser is laid out. This file: the statements
// (`{% if %}`, `{% for %}`, `{% set %}`) and the body; parser_expressions.cpp: the expressions.

#include "macro/parser.hpp"

#include "macro/parser_state.hpp"

namespace rtstep::macro {

namespace parsing {

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

}  // namespace parsing

Program parse(std::string_view source) { return parsing::Parser(source).run(); }

}  // namespace rtstep::macro
