// GcodeInput: the G-code reader of `rtstep run` hands out a pipe's lines as they arrive and counts every
// byte, so a print streamed slowly into a FIFO starts without waiting for 64 KiB or the end; while the pipe
// pauses it lets its InputWait send the queued motion once, and a signal ends the wait.
#include "machine/gcode_input.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <istream>
#include <string>
#include <thread>

namespace rtstep::machine {
namespace {

using namespace std::chrono_literals;

// A real pipe, read through its read end as `rtstep run` reads a FIFO or its standard input.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(pipe(fds_), 0); }
  ~Pipe() {
    close_writer();
    close(fds_[0]);
  }
  void write_text(const std::string& text) {
    ASSERT_EQ(::write(fds_[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void close_writer() {
    if (fds_[1] >= 0) close(fds_[1]);
    fds_[1] = -1;
  }
  int reader() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

// A InputWait whose idle moment and signal the test sets, counting the idle() calls.
class ScriptedWait final : public InputWait {
 public:
  int64_t patience_ns() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(idle_at_.load() - std::chrono::steady_clock::now()).count();
  }
  void idle() override { idles_.fetch_add(1); }
  bool give_up() override { return signalled_.load(); }
  void idle_in(std::chrono::milliseconds after) { idle_at_ = std::chrono::steady_clock::now() + after; }
  std::atomic<std::chrono::steady_clock::time_point> idle_at_{std::chrono::steady_clock::time_point::max()};
  std::atomic<int> idles_{0};
  std::atomic<bool> signalled_{false};
};

TEST(GcodeInput, HandsOutAPipesLinesBeforeTheWriterCloses) {
  Pipe pipe;
  GcodeInput input(pipe.reader());
  std::istream gcode(&input);

  pipe.write_text("G28\nG1 X10 F3000\n");
  auto first_two = std::async(std::launch::async, [&] {
    std::string a, b;
    std::getline(gcode, a);
    std::getline(gcode, b);
    return a + "|" + b;
  });
  // The writer stays open: the lines must come without more input. (A reader that waits for a full
  // buffer would block here until the writer closes.)
  const bool arrived = first_two.wait_for(10s) == std::future_status::ready;
  if (!arrived) pipe.close_writer();  // lets the reader return, so a failure does not hang the test
  ASSERT_TRUE(arrived) << "the reader waited for more than the pipe held";
  EXPECT_EQ(first_two.get(), "G28|G1 X10 F3000");
  EXPECT_EQ(input.bytes(), 17U);

  pipe.write_text("G1 Y5\n");
  pipe.close_writer();
  std::string rest, line;
  while (std::getline(gcode, line)) rest += line + ";";
  EXPECT_EQ(rest, "G1 Y5;");
  EXPECT_EQ(input.bytes(), 23U);
  EXPECT_TRUE(input.error().empty()) << input.error();
}

TEST(GcodeInput, CountsEveryByteOfAFileLargerThanItsBuffer) {
  Pipe pipe;
  ScriptedWait wait;
  GcodeInput input(pipe.reader(), &wait);
  std::istream gcode(&input);
  const std::string line = "G1 X1.000 Y2.000 E0.01234 ; a move\n";  // 35 bytes
  constexpr int kLines = 4000;                                       // 140,000 bytes: over two 64 KiB buffers
  auto writer = std::async(std::launch::async, [&] {
    for (int i = 0; i < kLines; ++i) pipe.write_text(line);
    pipe.close_writer();
  });
  int lines = 0;
  for (std::string got; std::getline(gcode, got);) lines += got + "\n" == line ? 1 : 0;
  writer.get();
  EXPECT_EQ(lines, kLines);
  EXPECT_EQ(input.bytes(), line.size() * kLines);
  EXPECT_EQ(wait.idles_.load(), 0) << "plenty of patience: never idle";
  EXPECT_FALSE(input.gave_up());
}

// A pause longer than the patience: idle() once (not once per check), then the next line is handed out.
TEST(GcodeInput, APauseLongerThanThePatienceIdlesOnce) {
  Pipe pipe;
  ScriptedWait wait;
  wait.idle_in(30ms);
  GcodeInput input(pipe.reader(), &wait);
  std::istream gcode(&input);
  pipe.write_text("G1 X1\n");
  std::string got;
  ASSERT_TRUE(std::getline(gcode, got));
  EXPECT_EQ(wait.idles_.load(), 0) << "the first line was there at once";
  auto late = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(300ms);
    pipe.write_text("G1 X2\n");
  });
  ASSERT_TRUE(std::getline(gcode, got));
  late.get();
  EXPECT_EQ(got, "G1 X2");
  EXPECT_EQ(wait.idles_.load(), 1);
  // A new pause may idle again.
  wait.idle_in(30ms);
  late = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(300ms);
    pipe.close_writer();
  });
  EXPECT_FALSE(std::getline(gcode, got));
  late.get();
  EXPECT_EQ(wait.idles_.load(), 2);
  EXPECT_FALSE(input.gave_up()) << "the writer closed: the stream ended normally";
}

// Out of patience but with input there: the input is read, the look-ahead is not cut short by an idle().
TEST(GcodeInput, InputAlreadyThereIsReadBeforeIdling) {
  Pipe pipe;
  ScriptedWait wait;
  wait.idle_in(-1000ms);
  GcodeInput input(pipe.reader(), &wait);
  std::istream gcode(&input);
  pipe.write_text("G1 X1\n");
  std::string got;
  ASSERT_TRUE(std::getline(gcode, got));
  EXPECT_EQ(got, "G1 X1");
  EXPECT_EQ(wait.idles_.load(), 0);
}

TEST(GcodeInput, ASignalEndsTheWaitAndSaysTheStreamWasCut) {
  Pipe pipe;
  ScriptedWait wait;
  GcodeInput input(pipe.reader(), &wait);
  std::istream gcode(&input);
  auto reader = std::async(std::launch::async, [&] {
    std::string got;
    return static_cast<bool>(std::getline(gcode, got));
  });
  std::this_thread::sleep_for(50ms);
  wait.signalled_ = true;  // the writer stays open: only the signal can end the wait
  const bool ended = reader.wait_for(10s) == std::future_status::ready;
  if (!ended) pipe.close_writer();
  ASSERT_TRUE(ended) << "the reader kept waiting after the signal";
  EXPECT_FALSE(reader.get());
  EXPECT_TRUE(input.gave_up());
}

}  // namespace
}  // namespace rtstep::machine
