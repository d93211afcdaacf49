#pragma once
// GcodeInput: the G-code stream of `rtstep run`, read from a file descriptor (a file, a FIFO, a pipe or a
// terminal). It hands out what the descriptor has as soon as it has it, so G-code from a pipe is planned as
// it arrives, and counts the bytes (for the progress line's "percent of file").
//
// While the descriptor has nothing to read (the sender paused, or a user types the next line), the reader
// asks its InputWait how long it may wait before the motion already sent runs low; when that runs out it
// lets the InputWait plan and send everything queued, once per pause, so the executor finishes the motion
// and idles instead of running out of records (an underrun, which stops the machine). Non-real-time.

#include <atomic>
#include <cstdint>
#include <streambuf>
#include <string>

namespace rtstep::machine {

class InputWait {
 public:
  virtual ~InputWait() = default;
  // How long, from now, the reader may wait for input before idle() is due (<= 0: now).
  virtual int64_t patience_ns() = 0;
  // The input paused for longer than patience_ns(): send everything queued. Called once per pause.
  virtual void idle() = 0;
  // True to stop waiting (a signal): the stream then ends as if the sender had closed it.
  virtual bool give_up() = 0;
};

class GcodeInput final : public std::streambuf {
 public:
  // Reads `fd` (not owned). Without `wait`, it simply blocks until input or the end.
  explicit GcodeInput(int fd, InputWait* wait = nullptr) noexcept : fd_(fd), wait_(wait) {}
  uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
  // A read error of the descriptor ("read failed: ..."), empty when the stream ended normally.
  const std::string& error() const noexcept { return error_; }
  // True when the InputWait gave up (a signal): the stream was cut, not read to its end.
  bool gave_up() const noexcept { return gave_up_; }

 protected:
  int_type underflow() override;

 private:
  // Waits until `fd_` is readable (or at its end); false when the InputWait gave up.
  bool wait_readable();
  int fd_;
  InputWait* wait_;
  char buffer_[1 << 16];
  std::atomic<uint64_t> bytes_{0};
  std::string error_;
  bool gave_up_ = false;
};

}  // namespace rtstep::machine
