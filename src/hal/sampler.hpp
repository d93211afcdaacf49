#pragma once
// sampler and streamer (LinuxCNC's): real-time components that move rows of pin values through a
// lock-free FIFO to or from a non-real-time reader/writer, the built-in `loadusr halsampler` and
// `loadusr halstreamer`. cfg= gives one letter per pin: b bit, f (or r) float, s s32, u u32, l s64, k u64.
// One instance per cfg entry (cfg=ff,b makes sampler.0 and sampler.1); depth= rows per FIFO (default
// 1024). Rows print and parse in halsampler's text format: values separated by spaces with a trailing
// space, bits as 0/1, floats as %f.

#include <atomic>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "hal/hal.hpp"
#include "hal/user_programs.hpp"

namespace rtstep::hal {

// A single-producer single-consumer FIFO of fixed-width rows of raw values (capacity fixed at load).
class RowFifo {
 public:
  RowFifo(std::size_t width, std::size_t depth);
  std::size_t width() const noexcept { return width_; }
  std::size_t depth() const noexcept { return depth_; }
  std::size_t size() const noexcept;  // rows queued; any thread
  [[nodiscard]] bool try_push(const uint64_t* row) noexcept;  // producer; real-time safe
  [[nodiscard]] bool try_pop(uint64_t* row) noexcept;         // consumer; real-time safe

 private:
  std::size_t width_, depth_;
  std::vector<uint64_t> data_;  // (depth + 1) rows
  alignas(64) std::atomic<std::size_t> head_{0};  // written by the producer
  alignas(64) std::atomic<std::size_t> tail_{0};  // written by the consumer
};

// The per-channel state both components share; found by `loadusr halsampler -c N` through the Hal.
class SampleChannel : public Instance {
 public:
  SampleChannel(std::vector<Type> types, std::size_t depth) : types_(std::move(types)), fifo_(types_.size(), depth) {}
  const std::vector<Type>& types() const noexcept { return types_; }
  RowFifo& fifo() noexcept { return fifo_; }
  std::vector<std::unique_ptr<Pin<uint64_t>>> pins;  // raw access through the pins' 8-byte values
  std::vector<uint64_t> row;                         // scratch row for the real-time function
  Pin<int32_t> curr_depth, overruns, sample_num;
  Pin<bool> full_or_empty, enable;

 private:
  std::vector<Type> types_;
  RowFifo fifo_;
};

Result<std::vector<Type>> parse_sample_cfg(const std::string& cfg);
std::string format_sample_row(const std::vector<Type>& types, const uint64_t* row);
Result<std::vector<uint64_t>> parse_sample_row(const std::vector<Type>& types, const std::string& line);

// The built-in tools (loadusr, or a script's `halsampler` / `halstreamer` through tool_socket.hpp). Their
// arguments are checked and the channel found here; the returned run does the work:
// `halsampler [-c CHAN] [-n COUNT] [-t] [FILE]` prints COUNT rows (all of them until stopped when
// nothing waits for it) to FILE or the tool's output; `halstreamer [-c CHAN] [FILE]` feeds rows from FILE
// or the tool's input into the streamer, waiting while it is full, and skips a bad line with a message
// (as LinuxCNC's). When loadusr waits for them (-w), 5 s without progress is an error.
Result<PreparedTool> prepare_halsampler(Hal& hal, std::span<const std::string> args);
Result<PreparedTool> prepare_halstreamer(Hal& hal, std::span<const std::string> args);

}  // namespace rtstep::hal
