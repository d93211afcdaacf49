// Value Change Dump (IEEE 1364 §18) of a trace: 1 ns timescale, one 1-bit wire per pin, named after the
// configuration, times relative to the first write. PulseView (sigrok's vcd input), GTKWave and sigrok-cli
// read it.

#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>

#include "trace/trace.hpp"

namespace rtstep::trace {

namespace {

// Identifier codes: printable ASCII '!'..'~', one character for the first 94 pins.
std::string identifier(std::size_t pin) {
  std::string id;
  do {
    id += static_cast<char>('!' + pin % 94);
    pin /= 94;
  } while (pin != 0);
  return id;
}

}  // namespace

void write_vcd(const Trace& trace, std::ostream& out) {
  const std::size_t pins = trace.header.pin_names.size();
  const int64_t origin = trace.records.empty() ? 0 : trace.records.front().issued_ns;
  out << "$comment rtstep edge trace; time 0 = CLOCK_MONOTONIC " << origin << " ns"
      << ((trace.header.flags & kFlagVirtualClock) != 0 ? " (virtual clock)" : "") << " $end\n";
  out << "$version rtstep trace $end\n$timescale 1ns $end\n$scope module rtstep $end\n";
  for (std::size_t i = 0; i < pins; ++i) {
    out << "$var wire 1 " << identifier(i) << ' ' << signal_name(trace.header.pin_names[i]) << " $end\n";
  }
  out << "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n";
  for (std::size_t i = 0; i < pins; ++i) out << '0' << identifier(i) << '\n';
  out << "$end\n";
  int64_t last_time = 0;
  for (const gpio::EdgeRecord& r : trace.records) {
    // Saturated: a damaged or hostile trace may hold any times (found by fuzz/trace.cpp).
    int64_t since_origin = 0;
    if (__builtin_sub_overflow(r.issued_ns, origin, &since_origin)) since_origin = r.issued_ns < origin ? 0 : INT64_MAX;
    const int64_t t = std::max(since_origin, last_time);  // VCD time never goes back
    if (t != last_time) out << '#' << t << '\n';
    last_time = t;
    for (std::size_t i = 0; i < pins; ++i) {
      if (((r.changed >> i) & 1U) != 0) out << (((r.levels >> i) & 1U) != 0 ? '1' : '0') << identifier(i) << '\n';
    }
  }
  out << '#' << (last_time == INT64_MAX ? last_time : last_time + 1) << '\n';
}

Status write_vcd(const Trace& trace, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return Error{path + ": cannot create VCD file: " + std::strerror(errno)};
  write_vcd(trace, out);
  out.flush();
  if (!out) return Error{path + ": writing the VCD file failed"};
  return Ok{};
}

}  // namespace rtstep::trace
