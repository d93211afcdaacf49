#pragma once
// The syntax tree of a compiled template (internal to src/macro). Built once by the parser, read-only
// afterwards: rendering walks it many times, from any number of renders, without changing it.
// Non-real-time.

#include <memory>
#include <string>
#include <vector>

#include "macro/lexer.hpp"
#include "macro/value.hpp"

namespace rtstep::macro {

class Renderer;

enum class ExprKind : uint8_t {
  kLiteral,    // literal
  kName,       // name
  kList,       // operands: items
  kTuple,      // operands: items
  kDict,       // operands: key, value, key, value, ...
  kAttribute,  // operands: [object]; name: attribute          (a.b)
  kItem,       // operands: [object, key]                       (a[b])
  kSlice,      // operands: [object, start, stop, step] (null when omitted)   (a[b:c:d])
  kCall,       // operands: [callee, args...]; keywords name the last arguments
  kMethod,     // operands: [object, args...]; name: method    (a.b(...), looked up once per call)
  kFilter,     // operands: [value, args...]; filter
  kTest,       // operands: [value, args...]; test; negated: "is not"
  kNegate,     // operands: [value]
  kPlus,       // operands: [value]
  kNot,        // operands: [value]
  kBinary,     // operands: [left, right]; binary
  kAnd,        // operands: [left, right]
  kOr,         // operands: [left, right]
  kCompare,    // operands: [first, then one per compare op]
  kConcat,     // operands: parts joined as strings (a ~ b ~ c)
  kCondition,  // operands: [then, condition, otherwise (null: undefined)]
};

enum class BinaryOp : uint8_t { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// A filter (`x|name(args)`) or test (`x is name(args)`): receives the value first, then the arguments.
using FilterFn = Value (*)(Renderer&, Value&, CallArgs&);
using TestFn = bool (*)(const Value&, CallArgs&);

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  SourcePos pos;
  Value literal;
  std::string name;
  BinaryOp binary = BinaryOp::kAdd;
  bool negated = false;
  FilterFn filter = nullptr;
  TestFn test = nullptr;
  std::vector<CompareOp> compare_ops;
  std::vector<ExprPtr> operands;
  std::vector<std::string> keywords;  // names of the last keywords.size() arguments of a call
  uint32_t height = 1;                // levels of operands below and including this node
};

enum class NodeKind : uint8_t {
  kText,      // text
  kOutput,    // expr
  kIf,        // branches (a null condition is the else branch)
  kFor,       // targets in expr [if condition]: body, else_body
  kSet,       // targets (or target.attribute) = expr
  kSetBlock,  // {% set target %}body{% endset %}
};

struct Node;
using Body = std::vector<Node>;

struct Branch {
  ExprPtr condition;  // null: else
  Body body;
};

struct Node {
  NodeKind kind = NodeKind::kText;
  SourcePos pos;
  std::string text;
  ExprPtr expr;
  ExprPtr condition;
  std::vector<Branch> branches;
  std::vector<std::string> targets;  // several: tuple unpacking
  std::string attribute;             // {% set ns.attribute = ... %}
  Body body;
  Body else_body;
};

struct Program {
  Body body;
};

}  // namespace rtstep::macro
