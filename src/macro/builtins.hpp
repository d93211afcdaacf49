#pragma once
// The built-in filters, tests, methods and global functions of the template language (internal to
// src/macro). Filters and tests are looked up by name at compile time; methods at render time, by the
// type of the object. Each throws EvalError for wrong arguments. Non-real-time.

#include <string_view>

#include "macro/ast.hpp"

namespace rtstep::macro {

// The filter or test called `name`, or nullptr. Aliases as Jinja: d = default, count = length.
FilterFn find_filter(std::string_view name);
TestFn find_test(std::string_view name);

// Calls `object.name(args)`: string, list and dict methods (lower, split, items, get, append, ...).
// Throws EvalError when the type has no such method.
Value call_method(Renderer& renderer, const Value& object, const std::string& name, CallArgs& args);
// True when `object.name` is a method of its type (Jinja reads an attribute before an item).
bool has_method(const Value& object, std::string_view name);
// The global functions: range, namespace, dict. Undefined when `name` is none of them.
Value find_global(Renderer& renderer, std::string_view name);

// Throws if storing `item` in `container` would make the container contain itself.
void check_insert(Renderer& renderer, const Value& container, const Value& item);

// Argument helpers shared by filters and methods: the argument at `index` or with keyword `keyword`,
// or `fallback` when absent.
const Value* argument(const CallArgs& args, size_t index, std::string_view keyword);
Value argument_or(const CallArgs& args, size_t index, std::string_view keyword, Value fallback);
// Throws unless the call has at most `max` positional arguments and only the keywords listed.
void check_arity(const CallArgs& args, std::string_view function, size_t max);

}  // namespace rtstep::macro
