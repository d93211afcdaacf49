#pragma once
// Value: the dynamic value of Klipper's template language, with Python's semantics.
//
// Kinds: undefined (Jinja's lenient Undefined, which Klipper's environment uses: it renders as "", is
// false, iterates as empty, and fails when used in arithmetic, comparison, call or lookup), None, bool,
// int (64-bit; overflow is an error rather than Python's big integers), float, string, list (or tuple),
// dict (insertion-ordered, keys compared as Python compares them: 1 == 1.0 == True) and callable.
// Lists and dicts are shared by reference, as in Python: copying a Value copies the reference, so
// `x.append(1)` is seen through every copy. deep_copy() makes an independent value.
//
// Thread: non-real-time. A Value and the containers it references belong to one thread at a time; the
// controller deep-copies a value before handing it to another thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtstep::macro {

class Value;
struct List;
struct Dict;
struct Callable;

// Arguments of a call: positional values, then keyword values by name (Python's f(a, b, key=c)).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

// A thrown failure inside evaluation: the evaluator adds the line and column where it is caught.
// Functions of this module that can fail while rendering throw it; the public API (Template::render,
// the literal parser, run_macro) never lets it escape and returns a Result instead.
struct EvalError {
  std::string message;
  bool raised_by_user = false;  // action_raise_error: the message is the user's own, shown unwrapped
  uint32_t line = 0;            // where in the template (0: not yet known)
  uint32_t column = 0;
};

class Value {
 public:
  enum class Kind : uint8_t { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kCallable };

  Value() = default;  // undefined
  static Value undefined(std::string hint) {
    Value v;
    v.text_ = std::move(hint);
    return v;
  }
  static Value none() { return Value(Kind::kNone); }
  static Value boolean(bool b) {
    Value v(Kind::kBool);
    v.int_ = b ? 1 : 0;
    return v;
  }
  static Value integer(int64_t i) {
    Value v(Kind::kInt);
    v.int_ = i;
    return v;
  }
  static Value real(double d) {
    Value v(Kind::kFloat);
    v.float_ = d;
    return v;
  }
  static Value string(std::string s) {
    Value v(Kind::kString);
    v.text_ = std::move(s);
    return v;
  }
  static Value list(std::vector<Value> items = {});
  static Value tuple(std::vector<Value> items);
  static Value dict();
  static Value callable(std::string name, std::function<Value(CallArgs&)> fn);
  static Value bound_method(Value self, std::string method);

  Kind kind() const noexcept { return kind_; }
  bool is_undefined() const noexcept { return kind_ == Kind::kUndefined; }
  bool is_none() const noexcept { return kind_ == Kind::kNone; }
  bool is_bool() const noexcept { return kind_ == Kind::kBool; }
  bool is_int() const noexcept { return kind_ == Kind::kInt; }
  bool is_float() const noexcept { return kind_ == Kind::kFloat; }
  bool is_number() const noexcept { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_string() const noexcept { return kind_ == Kind::kString; }
  bool is_list() const noexcept { return kind_ == Kind::kList; }
  bool is_tuple() const noexcept;
  bool is_dict() const noexcept { return kind_ == Kind::kDict; }
  bool is_callable() const noexcept { return kind_ == Kind::kCallable; }

  bool as_bool() const noexcept { return int_ != 0; }
  // Integer value of a bool or int.
  int64_t as_int() const noexcept { return int_; }
  // Numeric value of a bool, int or float.
  double as_double() const noexcept { return kind_ == Kind::kFloat ? float_ : static_cast<double>(int_); }
  // The text of a string; the hint ("'foo' is undefined") of an undefined value.
  const std::string& text() const noexcept { return text_; }
  std::string& mutable_text() noexcept { return text_; }
  List& list_data() const { return *static_cast<List*>(object_.get()); }
  Dict& dict_data() const { return *static_cast<Dict*>(object_.get()); }
  const Callable& callable_data() const { return *static_cast<const Callable*>(object_.get()); }
  // Identity of the shared container (list, dict, callable), for cycle checks; nullptr otherwise.
  const void* identity() const noexcept { return object_.get(); }

  // Python's truthiness: empty containers, "", 0, 0.0, None and undefined are false.
  bool truthy() const noexcept;
  // Python's str(): floats as repr ("0.1", "1.0", "1e-05"), True/False/None, containers as repr.
  // Undefined renders as "".
  std::string str() const;
  // Python's repr(): strings quoted ('a'), containers with repr of their items.
  std::string repr() const;
  // Jinja's name of the type in messages: "dict object", "int object", "None".
  std::string type_name() const;

  // A copy sharing no container with this one.
  Value deep_copy() const;

 private:
  explicit Value(Kind kind) : kind_(kind) {}

  Kind kind_ = Kind::kUndefined;
  int64_t int_ = 0;
  double float_ = 0;
  std::string text_;
  std::shared_ptr<void> object_;  // List, Dict or Callable
};

// Containers free their items without recursion (a list nested 100000 deep, built by a loop, must not
// overflow the stack when it is dropped): see bury() in value.cpp.
struct List {
  List() = default;
  ~List();
  List(const List&) = delete;
  List& operator=(const List&) = delete;

  std::vector<Value> items;
  bool tuple = false;  // immutable and printed with ( ) — otherwise the same as a list
};

struct Dict {
  Dict() = default;
  ~Dict();
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;

  std::vector<std::pair<Value, Value>> entries;  // in insertion order

  // The value of `key`, or nullptr. Keys compare as Python's dict does (1 == 1.0 == True).
  Value* find(const Value& key);
  Value* find(std::string_view key);
  // Sets or adds `key`; a new key goes last.
  void set(Value key, Value value);
  void set(std::string_view key, Value value) { set(Value::string(std::string(key)), std::move(value)); }
  bool erase(const Value& key);
};

// A function value: a global or action (fn), or a method bound to its object (`d.items` read without
// calling it; method names it and bound_self is the object).
struct Callable {
  Callable() = default;
  ~Callable();
  Callable(const Callable&) = delete;
  Callable& operator=(const Callable&) = delete;

  std::string name;                    // for messages: "action_respond_info", "range", "items"
  std::function<Value(CallArgs&)> fn;  // throws EvalError on failure
  Value bound_self;
  std::string method;
};

// Python's == (numbers across int/float/bool, containers element-wise). Throws EvalError when the
// values nest too deeply (a container that contains itself).
bool equal(const Value& a, const Value& b);
// Python's <: numbers, strings, lists and tuples of comparable items; other pairs throw EvalError
// ("'<' not supported between instances of 'str' and 'int'").
bool less(const Value& a, const Value& b);

// Python's repr() of a float: the shortest text that reads back the same, "1.0" for whole numbers,
// exponent form below 1e-4 and from 1e16 ("1e-05", "1e+16"), "inf", "nan".
std::string format_float(double v);

}  // namespace rtstep::macro
