// Template (template.hpp): compile = lex + parse once; render = a fresh Renderer over the shared tree.

#include "macro/template.hpp"

#include "macro/parser.hpp"
#include "macro/renderer.hpp"

namespace rtstep::macro {

namespace {

std::string located(const std::string& name, uint32_t line, uint32_t column, const std::string& message) {
  return name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

}  // namespace

void Context::set(std::string name, Value value) {
  for (auto& entry : entries_) {
    if (entry.first == name) {
      entry.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(name), std::move(value));
}

const Value* Context::find(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (entry.first == name) return &entry.second;
  }
  return nullptr;
}

void Context::set_all(const Value& dict) {
  if (!dict.is_dict()) return;
  for (const auto& [key, value] : dict.dict_data().entries) {
    if (key.is_string()) set(key.text(), value);
  }
}

Result<Template> Template::compile(std::string_view source, std::string name, Limits limits,
                                   std::string_view compile_name) {
  Template t;
  try {
    t.program_ = std::make_shared<const Program>(parse(source));
  } catch (const SyntaxError& e) {
    return Error{located(compile_name.empty() ? name : std::string(compile_name), e.pos.line, e.pos.column, e.message)};
  }
  t.name_ = std::move(name);
  t.limits_ = limits;
  t.source_ = std::make_shared<const std::string>(source);
  return t;
}

Result<std::string> Template::render(const Context& context) const {
  if (!program_) return std::string();
  Renderer renderer(context, limits_);
  try {
    return renderer.render(*program_);
  } catch (const EvalError& e) {
    if (e.raised_by_user) return Error{e.message};
    return Error{located(name_, e.line, e.column, e.message)};
  }
}

}  // namespace rtstep::macro
