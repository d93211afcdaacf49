#pragma once
// Running a macro: what the controller calls when a G-code line names a [gcode_macro], and for
// SET_GCODE_VARIABLE. The controller owns the macros' variable dicts and the printer status; this module
// renders and returns the G-code, which the controller then runs as one block (a render error means
// none of it runs).
//
// The template sees, as in Klipper: the macro's variables by name, `params` (the command's parameters,
// upper-cased names, text values), `rawparams` (the text after the command), `printer` (the status
// objects the caller supplies, e.g. printer.toolhead.homed_axes, printer["gcode_macro X"].var) and the
// actions action_respond_info(msg), action_raise_error(msg), action_emergency_stop(msg) and
// action_call_remote_method(method, key=value, ...). Actions run during the render, in template order,
// as in Klipper (a respond_info before a failing line is still sent).
//
// The controller must refuse a macro that calls itself (Klipper: "Macro X called recursively"): a
// rendered macro may name other macros, which the controller renders in turn.
//
// Thread: non-real-time; the controller's thread. Values passed in are read (and may be changed by
// template methods such as append, as in Klipper) during the call only.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "macro/definitions.hpp"
#include "macro/template.hpp"
#include "macro/value.hpp"
#include "util/result.hpp"

namespace rtstep::macro {

// Callbacks behind the action_* functions. An empty one makes the action an error when a template
// calls it ("action_respond_info is not available here").
struct Actions {
  std::function<void(const std::string& message)> respond_info;
  std::function<void(const std::string& message)> emergency_stop;  // message "action_emergency_stop" by default
  // `arguments` is a dict of the keyword arguments: action_call_remote_method("notify", text="x").
  std::function<void(const std::string& method, const Value& arguments)> call_remote_method;
};

// The parameters of one command, as Klipper gives them to a macro.
struct MacroCall {
  Value params = Value::dict();  // "BED" -> "60" (text, as written)
  std::string rawparams;         // "BED=60 EXTRUDER=210"
};

// Splits a G-code line that calls a macro, as Klipper does: extended commands ("PRINT_START BED=60
// EXTRUDER=210", values may be quoted: MSG="a b") give NAME=VALUE pairs, names upper-cased;
// traditional ones ("G28 X Y", "M104 S200") give letter -> value. A `;` comment is dropped. Errors:
// unclosed quote, a word without '=' in an extended command.
Result<MacroCall> parse_call(std::string_view line);

struct MacroOutput {
  std::string text;                // the rendered template
  std::vector<std::string> lines;  // its non-blank lines, trimmed: the G-code to run, in order
};

// The names every template sees: printer and the four actions. Add params/rawparams/variables for a
// macro (run_macro does), nothing more for [delayed_gcode] or [idle_timeout] templates.
Context base_context(const Value& printer, const Actions& actions);

// Renders `tmpl` with `context` and splits the result into lines.
Result<MacroOutput> run_template(const Template& tmpl, const Context& context);

// Renders a [gcode_macro]: `variables` is the macro's current variable dict (start it as
// definition.variables.deep_copy()), `call` the command's parameters, `printer` the status objects.
Result<MacroOutput> run_macro(const MacroDefinition& macro, const Value& variables, const MacroCall& call,
                              const Value& printer, const Actions& actions);

// SET_GCODE_VARIABLE MACRO=<macro> VARIABLE=<variable> VALUE=<value_text>: parses VALUE as a Python
// literal and sets it, as Klipper: the variable must exist already; `variables` is replaced by a new
// dict (so a status snapshot that shares the old one is not changed). Errors:
// "Unknown gcode_macro variable 'x'", "Unable to parse 'abc' as a literal: ...".
Status set_gcode_variable(Value& variables, std::string_view variable, std::string_view value_text);

}  // namespace rtstep::macro
