#pragma once
// macro: Klipper's G-code macros — the template language (a Jinja2 subset with Klipper's delimiters),
// Python literals for macro variables, [gcode_macro] / [delayed_gcode] definitions from printer.cfg,
// and running a macro for the controller.
//
//   template.hpp     Template::compile / render, Context, Limits; the error format
//   value.hpp        Value, the dynamic Python-like value the templates compute with
//   literal.hpp      parse_literal: variable_* values and SET_GCODE_VARIABLE's VALUE
//   definitions.hpp  load_macros, load_delayed_gcodes: MacroDefinition, DelayedGcodeDefinition
//   runner.hpp       run_macro, run_template, base_context, parse_call, set_gcode_variable, Actions
//
// The other headers of this folder (lexer, parser, ast, renderer, builtins) are internal.
// Everything here is non-real-time: it runs on the controller's thread, or at config load.

#include "macro/definitions.hpp"
#include "macro/literal.hpp"
#include "macro/runner.hpp"
#include "macro/template.hpp"
#include "macro/value.hpp"
