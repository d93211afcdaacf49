// Fuzz target: a trace file through trace::read_trace (src/trace), then everything `rtstep trace` does
// with one: compute_stats, format_stats and write_vcd.
//
// Invariants:
// - read_trace either fails with "FILE: ..." naming the file, or returns a header whose steppers name
//   pins that exist and names no longer than the format allows, and `complete` only with the trailer;
// - the trace re-serialised in the documented format (docs/trace-format.md) reads back equal;
// - statistics and the VCD are produced for any trace read (UBSan makes any overflow in them fatal), with
//   one entry per pin and per stepper, edge counts that add up to at most the changed bits, and a VCD
//   that declares one wire per pin.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "trace/trace.hpp"

namespace {

namespace trace = rtstep::trace;
namespace gpio = rtstep::gpio;

template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void put_name(std::string& out, const std::string& name) {
  put(out, static_cast<uint16_t>(name.size()));
  out += name;
}

// The file format as docs/trace-format.md gives it: 32-byte fixed header, length-prefixed pin names,
// the stepper table, 32-byte records, and the trailer record when the trace is complete.
std::string serialise(const trace::Trace& t) {
  std::string out(trace::kMagic, sizeof trace::kMagic);
  put(out, trace::kVersion);
  put(out, t.header.flags);
  put(out, static_cast<uint32_t>(t.header.pin_names.size()));
  put(out, static_cast<uint32_t>(t.header.steppers.size()));
  put(out, static_cast<uint32_t>(sizeof(gpio::EdgeRecord)));
  put(out, uint32_t{0});
  for (const auto& name : t.header.pin_names) put_name(out, name);
  for (const auto& s : t.header.steppers) {
    put(out, s.step_pin);
    put(out, s.dir_pin);
    put_name(out, s.name);
  }
  for (const auto& r : t.records) put(out, r);
  if (t.complete) put(out, gpio::EdgeRecord{-1, static_cast<int64_t>(t.lost), 0, t.records.size()});
  return out;
}

bool same(const trace::Trace& a, const trace::Trace& b) {
  if (a.header.flags != b.header.flags || a.header.pin_names != b.header.pin_names || a.lost != b.lost ||
      a.complete != b.complete || a.records.size() != b.records.size() ||
      a.header.steppers.size() != b.header.steppers.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.header.steppers.size(); ++i) {
    const auto &x = a.header.steppers[i], &y = b.header.steppers[i];
    if (x.name != y.name || x.step_pin != y.step_pin || x.dir_pin != y.dir_pin) return false;
  }
  return a.records.empty() || std::memcmp(a.records.data(), b.records.data(), a.records.size() * sizeof(gpio::EdgeRecord)) == 0;
}

void check_outputs(const trace::Trace& t) {
  const trace::TraceStats stats = trace::compute_stats(t);
  FUZZ_CHECK(stats.pins.size() == t.header.pin_names.size() && stats.steppers.size() == t.header.steppers.size(),
             "stats sizes");
  FUZZ_CHECK(stats.writes == t.records.size(), "stats writes");
  uint64_t changed_bits = 0, counted = 0;
  for (const auto& r : t.records) changed_bits += static_cast<uint64_t>(std::popcount(r.changed));
  for (const auto& p : stats.pins) counted += p.rising + p.falling;
  FUZZ_CHECK(counted <= changed_bits, "more edges counted than changed bits");
  FUZZ_CHECK(stats.lateness_p50_ns <= stats.lateness_p99_ns && stats.lateness_p99_ns <= stats.lateness_p999_ns &&
                 stats.lateness_p999_ns <= stats.lateness_max_ns,
             "lateness percentiles out of order");
  const std::string text = trace::format_stats(t, stats);
  FUZZ_CHECK(!text.empty(), "empty statistics");

  std::ostringstream vcd;
  trace::write_vcd(t, vcd);
  const std::string dump = vcd.str();
  std::size_t wires = 0;
  for (std::size_t at = dump.find("$var wire 1 "); at != std::string::npos; at = dump.find("$var wire 1 ", at + 1)) ++wires;
  FUZZ_CHECK(wires == t.header.pin_names.size(), std::to_string(wires) + " VCD wires for " +
                                                     std::to_string(t.header.pin_names.size()) + " pins");
  FUZZ_CHECK(dump.find("$enddefinitions $end") != std::string::npos, "VCD without its definitions section");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string path =
      rtstep::fuzz::scratch_dir().write("fuzz.trace", std::string_view(reinterpret_cast<const char*>(data), size));
  auto read = trace::read_trace(path);
  if (!read.ok()) {
    FUZZ_CHECK(read.error().message.starts_with(path + ": ") && read.error().message.size() > path.size() + 2,
               read.error().message);
    return 0;
  }
  const trace::Trace& t = read.value();
  FUZZ_CHECK(t.header.pin_names.size() <= gpio::kMaxPins && t.header.steppers.size() <= gpio::kMaxPins, "sizes");
  for (const auto& name : t.header.pin_names) FUZZ_CHECK(name.size() <= 255, "pin name too long");
  for (const auto& s : t.header.steppers) {
    FUZZ_CHECK(s.step_pin < t.header.pin_names.size() && s.dir_pin < t.header.pin_names.size(),
               "stepper " + s.name + " names a pin that does not exist");
  }

  const std::string bytes = serialise(t);
  const std::string again_path = rtstep::fuzz::scratch_dir().write("again.trace", bytes);
  auto again = trace::read_trace(again_path);
  FUZZ_CHECK(again.ok(), "re-serialised trace rejected: " + (again.ok() ? "" : again.error().message));
  FUZZ_CHECK(same(t, again.value()), "re-serialised trace reads back differently");

  check_outputs(t);
  return 0;
}
