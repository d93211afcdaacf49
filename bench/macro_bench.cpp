// macro micro-benchmarks: rendering a 40-line PRINT_START macro the way the controller runs it (issue 18
// target: <= 50 us per render), compiling it, and parsing a variable_* literal.

#include <benchmark/benchmark.h>

#include <string>

#include "config/config.hpp"
#include "macro/macro.hpp"

namespace {

using rtstep::macro::Actions;
using rtstep::macro::MacroDefinition;
using rtstep::macro::Value;

// A PRINT_START as users write them: parameters with defaults, printer status lookups, a homing check,
// heating, a purge line from a list of points, a mesh/tilt branch and a message. The gcode is 40 lines.
constexpr const char* kPrintStart = R"([gcode_macro PRINT_START]
description: Heat, home, level and prime
variable_prime_length: 25
variable_purge_points: [(5, 5), (5, 100), (5.4, 100), (5.4, 5)]
variable_use_mesh: True
gcode:
  {% set bed = params.BED|default(60)|float %}
  {% set extruder = params.EXTRUDER|default(200)|float %}
  {% set chamber = params.CHAMBER|default(0)|int %}
  {% set material = params.MATERIAL|default('PLA')|upper %}
  {% set th = printer.toolhead %}
  {% set max_z = th.axis_maximum.z %}
  {action_respond_info("PRINT_START: bed %.1f, nozzle %.1f, %s" % (bed, extruder, material))}
  M140 S{bed}
  M104 S{(extruder * 0.75)|round(1)}
  {% if "xyz" not in th.homed_axes %}
    G28
  {% else %}
    G28 Z
  {% endif %}
  {% if chamber > 0 %}
    TEMPERATURE_WAIT SENSOR="temperature_sensor chamber" MINIMUM={chamber}
  {% endif %}
  M190 S{bed}
  {% if use_mesh and printer.configfile.settings.bed_mesh is defined %}
    BED_MESH_CALIBRATE
  {% elif material in ['ABS', 'ASA'] %}
    BED_MESH_PROFILE LOAD=hot
  {% else %}
    BED_MESH_PROFILE LOAD=default
  {% endif %}
  G90
  G1 Z{[10, max_z]|min} F{th.max_velocity * 60 / 10}
  M109 S{extruder}
  G92 E0
  {% for x, y in purge_points %}
    {% if loop.first %}
  G1 X{x} Y{y} Z0.3 F6000
    {% else %}
  G1 X{x} Y{y} E{"%.3f" % (prime_length / (loop.length - 1))} F1500
    {% endif %}
  {% endfor %}
  G92 E0
  G1 Z2 F3000
  M117 Printing {material}
)";

MacroDefinition load_print_start() {
  auto raw = rtstep::config::parse_raw(kPrintStart, "bench.cfg");
  auto macros = rtstep::macro::load_macros(raw.value());
  if (!macros) throw std::runtime_error(macros.error().message);
  return std::move(macros.value().front());
}

Value make_printer() {
  Value printer = Value::dict();
  Value toolhead = Value::dict();
  toolhead.dict_data().set("homed_axes", Value::string("xyz"));
  toolhead.dict_data().set("max_velocity", Value::real(300));
  Value maximum = Value::dict();
  for (const char* axis : {"x", "y", "z"}) maximum.dict_data().set(axis, Value::real(235));
  toolhead.dict_data().set("axis_maximum", maximum);
  printer.dict_data().set("toolhead", toolhead);
  Value settings = Value::dict();
  settings.dict_data().set("bed_mesh", Value::dict());
  Value configfile = Value::dict();
  configfile.dict_data().set("settings", settings);
  printer.dict_data().set("configfile", configfile);
  for (const char* other : {"extruder", "heater_bed", "fan", "print_stats", "pause_resume", "idle_timeout", "webhooks"}) {
    printer.dict_data().set(other, Value::dict());
  }
  return printer;
}

void BM_RenderPrintStart(benchmark::State& state) {
  const MacroDefinition macro = load_print_start();
  const Value variables = macro.variables.deep_copy();
  const Value printer = make_printer();
  Actions actions;
  size_t responses = 0;
  actions.respond_info = [&](const std::string&) { ++responses; };
  auto call = rtstep::macro::parse_call("PRINT_START BED=60 EXTRUDER=210 MATERIAL=petg");
  size_t lines = 0;
  for (auto _ : state) {
    auto out = rtstep::macro::run_macro(macro, variables, call.value(), printer, actions);
    if (!out) {
      state.SkipWithError(out.error().message.c_str());
      break;
    }
    lines += out->lines.size();
  }
  benchmark::DoNotOptimize(lines);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["lines"] = static_cast<double>(lines) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}
BENCHMARK(BM_RenderPrintStart)->Unit(benchmark::kMicrosecond);

void BM_CompilePrintStart(benchmark::State& state) {
  const MacroDefinition macro = load_print_start();
  for (auto _ : state) {
    auto t = rtstep::macro::Template::compile(macro.gcode.source(), "gcode_macro PRINT_START");
    benchmark::DoNotOptimize(t.ok());
  }
}
BENCHMARK(BM_CompilePrintStart)->Unit(benchmark::kMicrosecond);

void BM_ParseLiteral(benchmark::State& state) {
  const std::string text = "{'points': [(5, 5), (5, 100), (5.4, 100)], 'name': 'purge', 'speed': 1500.0, 'on': True}";
  for (auto _ : state) {
    auto v = rtstep::macro::parse_literal(text);
    benchmark::DoNotOptimize(v.ok());
  }
}
BENCHMARK(BM_ParseLiteral)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
