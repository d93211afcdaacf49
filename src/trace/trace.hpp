#pragma once
// trace: the edge trace of a sim-backend run (docs/trace-format.md) — writing it while the executor runs,
// reading it back, statistics and a Value Change Dump for PulseView, GTKWave and sigrok-cli.
//
// Everything here is non-real-time. The executor never touches a file: the sim backend records each write
// into a lock-free buffer (gpio::SimBackend::enable_recording) and TraceWriter's thread drains it.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <iosfwd>
#include <string>
#include <thread>
#include <vector>

#include "gpio/gpio.hpp"
#include "util/result.hpp"

namespace rtstep::trace {

inline constexpr char kMagic[8] = {'R', 'T', 'S', 'T', 'E', 'P', 'T', 'R'};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kFlagVirtualClock = 1;

// A stepper as the trace describes it: its name and the indices of its step and dir pins.
struct TraceStepper {
  std::string name;
  uint32_t step_pin = 0;
  uint32_t dir_pin = 0;
};

struct TraceHeader {
  uint32_t flags = 0;                 // kFlagVirtualClock
  std::vector<std::string> pin_names;  // signal names, index = pin ("stepper_x_step", ...)
  std::vector<TraceStepper> steppers;
};

// A whole trace in memory (rtstep trace). Non-real-time.
struct Trace {
  TraceHeader header;
  std::vector<gpio::EdgeRecord> records;
  uint64_t lost = 0;      // records the drain could not keep (from the trailer)
  bool complete = false;  // the trailer was present (the writer closed the file)
};

// Drains a SimBackend's edge buffer into a file on its own (non-real-time) thread.
class TraceWriter {
 public:
  TraceWriter() = default;
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  // Opens `path`, writes the header and starts draining `backend` (whose recording must be enabled).
  Status start(const std::string& path, const TraceHeader& header, gpio::SimBackend& backend);
  // Drains what is left, writes the trailer (record and lost counts) and closes. Returns an error when
  // the file could not be written (disk full, file size limit, I/O error: the first failure, with its
  // errno text and how many records made it); the file then has no trailer, so readers see it as
  // incomplete. A write failure never reaches the executor: the sim backend keeps recording into its
  // buffer and counts what overflows as lost. Safe to call twice.
  Status finish();
  uint64_t records_written() const noexcept { return written_.load(std::memory_order_relaxed); }

 private:
  void drain_loop();
  bool drain_once();  // false: write error
  bool note_failure(const char* what);  // keeps the first error with errno; returns false
  std::FILE* file_ = nullptr;
  std::string path_;
  gpio::SimBackend* backend_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> written_{0};
  std::vector<gpio::EdgeRecord> buffer_;
  std::string error_;  // first write failure (drain thread until it ends, then finish())
};

// Reads a trace file, validating magic, version and sizes; errors name the file and what is wrong.
Result<Trace> read_trace(const std::string& path);

// Per pin and per stepper figures of a trace (rtstep trace --stats).
struct PinStats {
  uint64_t rising = 0, falling = 0;
};
struct StepperStats {
  uint64_t steps = 0;
  int64_t position = 0;                   // steps integrated with the dir pin
  int64_t shortest_pulse_ns = INT64_MAX;  // step high time
  int64_t shortest_low_ns = INT64_MAX;    // step low time between two pulses
  int64_t shortest_dir_setup_ns = INT64_MAX;  // dir change to the next rising step edge
  int64_t shortest_dir_hold_ns = INT64_MAX;   // falling step edge to the next dir change
  int64_t shortest_interval_ns = INT64_MAX;   // between two rising step edges as written
  int64_t planned_interval_ns = 0;            // between the deadlines of those same two edges
};
struct TraceStats {
  uint64_t writes = 0;
  uint64_t lost = 0;
  int64_t duration_ns = 0;
  std::vector<PinStats> pins;
  std::vector<StepperStats> steppers;
  // Lateness per write (issued - scheduled), exact order statistics.
  int64_t lateness_p50_ns = 0, lateness_p99_ns = 0, lateness_p999_ns = 0, lateness_max_ns = 0;
};
TraceStats compute_stats(const Trace& trace);
std::string format_stats(const Trace& trace, const TraceStats& stats);

// Writes a Value Change Dump: timescale 1 ns, one 1-bit wire per pin named after the header, times
// relative to the first record. Errors name the file.
Status write_vcd(const Trace& trace, const std::string& path);
void write_vcd(const Trace& trace, std::ostream& out);

// The speed plot (rtstep trace --plot, speed_plot.cpp): per stepper, the speed its recorded rising step edges
// give (1 / the time between two of them, steps/s) over time, beside the planned speed (the same from the
// edges' deadlines), with late and bunched steps marked. The picture that shows whether the machine moved
// as planned.
struct SpeedPlotOptions {
  int64_t late_threshold_ns = 10'000;  // a step written later than this after its deadline is marked late
  double bunch_ratio = 0.5;            // ...written sooner than this share of its planned interval: bunched
  int width = 1000;                    // plot area, px
  int panel_height = 180;              // per stepper, px
  std::size_t max_markers = 2000;      // per stepper and kind; the rest are counted, not drawn
};
struct StepperSpeed {
  std::string name;
  uint64_t steps = 0;          // rising step edges
  uint64_t late_steps = 0;     // written more than late_threshold_ns after their deadline
  uint64_t bunched_steps = 0;  // written less than bunch_ratio x their planned interval after the step before
  double max_speed = 0;          // steps/s, as written
  double max_planned_speed = 0;  // steps/s, as planned
};
struct SpeedPlot {
  std::string svg;
  std::vector<StepperSpeed> steppers;
};
SpeedPlot speed_plot(const Trace& trace, const SpeedPlotOptions& options = {});

// A VCD/trace-safe signal name: letters, digits and '_' only ("stepper_x.step" -> "stepper_x_step").
std::string signal_name(const std::string& raw);

}  // namespace rtstep::trace
