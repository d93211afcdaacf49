// Running macros (runner.hpp): the context Klipper gives a template, command parameter splitting, and
// SET_GCODE_VARIABLE.

#include "macro/runner.hpp"

#include <cctype>

#include "macro/literal.hpp"

namespace rtstep::macro {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string text_argument(const CallArgs& args, size_t index, const char* keyword, std::string fallback) {
  if (index < args.positional.size()) return args.positional[index].str();
  for (const auto& [name, value] : args.keywords) {
    if (name == keyword) return value.str();
  }
  return fallback;
}

[[noreturn]] void unavailable(const char* action) {
  throw EvalError{std::string(action) + " is not available here"};
}

// Shell-like words, as Python's shlex.split: blanks separate, quotes group and are removed.
Result<std::vector<std::string>> shell_words(std::string_view s) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"' || c == '\'') {
      const size_t close = s.find(c, i + 1);
      if (close == std::string_view::npos) return Error{"unclosed quote in " + std::string(s)};
      word += s.substr(i + 1, close - i - 1);
      in_word = true;
      i = close;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      if (c == '\\' && i + 1 < s.size()) ++i;
      word += s[i];
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace

Result<MacroCall> parse_call(std::string_view line) {
  std::string_view text = trim(line.substr(0, line.find(';')));
  // An "N123" line number in front, as Klipper skips it.
  if (text.size() > 1 && (text[0] == 'N' || text[0] == 'n') && std::isdigit(static_cast<unsigned char>(text[1]))) {
    size_t i = 1;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    text = trim(text.substr(i));
  }
  size_t end = 0;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
  const std::string command(text.substr(0, end));
  std::string_view args = trim(text.substr(end));
  MacroCall call;
  call.rawparams = std::string(args);
  if (is_traditional_gcode(command)) {
    // Letters start parameters; what follows a letter up to the next letter is its value: "X10 Y-2".
    const std::string upper_args = upper(args);
    for (size_t i = 0; i < upper_args.size();) {
      if (!std::isalpha(static_cast<unsigned char>(upper_args[i]))) {
        ++i;
        continue;
      }
      const char letter = upper_args[i++];
      size_t j = i;
      while (j < upper_args.size() && !std::isalpha(static_cast<unsigned char>(upper_args[j]))) ++j;
      call.params.dict_data().set(std::string(1, letter), Value::string(std::string(trim(args.substr(i, j - i)))));
      i = j;
    }
    return call;
  }
  auto words = shell_words(args);
  if (!words) return Error{"malformed command '" + std::string(text) + "': " + words.error().message};
  for (const std::string& word : *words) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) {
      return Error{"malformed command '" + std::string(text) + "': parameter '" + word + "' has no '=' (write NAME=VALUE)"};
    }
    call.params.dict_data().set(upper(word.substr(0, eq)), Value::string(word.substr(eq + 1)));
  }
  return call;
}

Context base_context(const Value& printer, const Actions& actions) {
  Context context;
  context.set("printer", printer);
  context.set("action_respond_info", Value::callable("action_respond_info", [actions](CallArgs& args) {
    if (!actions.respond_info) unavailable("action_respond_info");
    actions.respond_info(text_argument(args, 0, "msg", ""));
    return Value::string("");
  }));
  context.set("action_raise_error", Value::callable("action_raise_error", [](CallArgs& args) -> Value {
    throw EvalError{text_argument(args, 0, "msg", ""), true};
  }));
  context.set("action_emergency_stop", Value::callable("action_emergency_stop", [actions](CallArgs& args) {
    if (!actions.emergency_stop) unavailable("action_emergency_stop");
    actions.emergency_stop(text_argument(args, 0, "msg", "action_emergency_stop"));
    return Value::string("");
  }));
  context.set("action_call_remote_method", Value::callable("action_call_remote_method", [actions](CallArgs& args) {
    if (!actions.call_remote_method) unavailable("action_call_remote_method");
    if (args.positional.size() != 1 || !args.positional[0].is_string()) {
      throw EvalError{"action_call_remote_method(method, key=value, ...) needs the method name first"};
    }
    Value arguments = Value::dict();
    for (const auto& [name, value] : args.keywords) arguments.dict_data().set(name, value);
    actions.call_remote_method(args.positional[0].text(), arguments);
    return Value::string("");
  }));
  return context;
}

Result<MacroOutput> run_template(const Template& tmpl, const Context& context) {
  auto text = tmpl.render(context);
  if (!text) return text.error();
  MacroOutput out;
  out.text = std::move(text.value());
  std::string_view rest = out.text;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, eol));
    if (!line.empty()) out.lines.emplace_back(line);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
  }
  return out;
}

Result<MacroOutput> run_macro(const MacroDefinition& macro, const Value& variables, const MacroCall& call,
                              const Value& printer, const Actions& actions) {
  // Klipper's order: the variables first, then the template context and params/rawparams over them.
  Context context;
  context.set_all(variables);
  Context base = base_context(printer, actions);
  for (const char* name : {"printer", "action_respond_info", "action_raise_error", "action_emergency_stop",
                           "action_call_remote_method"}) {
    context.set(name, *base.find(name));
  }
  context.set("params", call.params);
  context.set("rawparams", Value::string(call.rawparams));
  return run_template(macro.gcode, context);
}

Status set_gcode_variable(Value& variables, std::string_view variable, std::string_view value_text) {
  if (!variables.is_dict() || variables.dict_data().find(variable) == nullptr) {
    return Error{"Unknown gcode_macro variable '" + std::string(variable) + "'"};
  }
  auto literal = parse_literal(value_text);
  if (!literal) {
    return Error{"Unable to parse '" + std::string(value_text) + "' as a literal: " + literal.error().message};
  }
  Value updated = Value::dict();
  updated.dict_data().entries = variables.dict_data().entries;
  updated.dict_data().set(variable, std::move(literal.value()));
  variables = std::move(updated);
  return Ok{};
}

}  // namespace rtstep::macro
