// gcode micro-benchmarks: parse_line on slicer-style lines, and the Reader over an in-memory file.
// Target: >= 3 million lines/s on one core for parse_line on typical lines (items_per_second).

#include <benchmark/benchmark.h>

#include <array>
#include <istream>
#include <streambuf>
#include <string>
#include <string_view>

#include "gcode/gcode.hpp"

namespace {

using rtstep::gcode::Command;
using rtstep::gcode::LineScratch;
using rtstep::gcode::ParseError;

// What a slicer writes, in roughly the proportions it writes them: mostly extruding moves.
constexpr std::array<std::string_view, 16> kMixedLines = {
    "G1 X101.383 Y94.592 E0.04219",
    "G1 X102.112 Y95.281 E0.03211 ; perimeter",
    "G1 F1800 X103.442 Y96.019 E0.05102",
    "G0 F9000 X80.5 Y80.5",
    ";TYPE:WALL-OUTER",
    "G1 X104.9 Y97.7 E.06",
    "G1 X105.731 Y98.402 E0.04458",
    "M204 S1000",
    "G1 Z0.4 F600",
    "G1 X110.05 Y101.223 E-0.8 F2400",
    "",
    "G1 X111.982 Y102.5 E0.1225",
    "G2 X120 Y110 I5 J5 E0.5",
    "M106 S127.5",
    "G1 X112.3 Y103.3 E0.03 (inline comment)",
    "M73 P42 R17",
};

void BM_ParseLineTypical(benchmark::State& state) {
  const std::string_view line = "G1 X12.345 Y67.89 E0.0123";
  LineScratch scratch;
  Command command;
  ParseError error;
  for (auto _ : state) {
    const bool ok = rtstep::gcode::parse_line(line, 1, "bench.gcode", scratch, command, error);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(command);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseLineTypical);

void BM_ParseLineMixed(benchmark::State& state) {
  LineScratch scratch;
  Command command;
  ParseError error;
  std::size_t i = 0;
  for (auto _ : state) {
    const bool ok = rtstep::gcode::parse_line(kMixedLines[i], 1, "bench.gcode", scratch, command, error);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(command);
    i = (i + 1) % kMixedLines.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseLineMixed);

// A read-only streambuf over a string, so the benchmark measures the Reader and not a copy of the file.
class MemoryBuf : public std::streambuf {
 public:
  explicit MemoryBuf(std::string& text) { setg(text.data(), text.data(), text.data() + text.size()); }
};

std::string make_file(std::size_t lines) {
  std::string text;
  for (std::size_t i = 0; i < lines; ++i) {
    text += kMixedLines[i % kMixedLines.size()];
    text += '\n';
  }
  return text;
}

void BM_ReaderMixedFile(benchmark::State& state) {
  const auto lines = static_cast<std::size_t>(state.range(0));
  std::string text = make_file(lines);
  std::size_t commands = 0;
  for (auto _ : state) {
    MemoryBuf buf(text);
    std::istream in(&buf);
    rtstep::gcode::Reader reader(in, "bench.gcode");
    while (reader.next() != rtstep::gcode::ReadStatus::kEndOfFile) {
      ++commands;
    }
  }
  benchmark::DoNotOptimize(commands);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ReaderMixedFile)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
