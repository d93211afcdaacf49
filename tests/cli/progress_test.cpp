// CountingStreamBuf: the G-code reader of `rtstep run` hands out a pipe's lines as they arrive and counts
// every byte, so a print streamed slowly into a FIFO starts without waiting for 64 KiB or the end.
#include "cli/progress.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <istream>
#include <string>

namespace rtstep::cli {
namespace {

using namespace std::chrono_literals;

// A real pipe, read as `rtstep run` reads its G-code file: an ifstream on the path of the read end.
class Pipe {
 public:
  Pipe() {
    EXPECT_EQ(pipe(fds_), 0);
    reader_.open("/proc/self/fd/" + std::to_string(fds_[0]), std::ios::binary);
  }
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
  std::ifstream& reader() { return reader_; }

 private:
  int fds_[2] = {-1, -1};
  std::ifstream reader_;
};

TEST(CountingStreamBuf, HandsOutAPipesLinesBeforeTheWriterCloses) {
  Pipe pipe;
  ASSERT_TRUE(pipe.reader().is_open());
  CountingStreamBuf counting(*pipe.reader().rdbuf());
  std::istream gcode(&counting);

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
  EXPECT_EQ(counting.bytes(), 17U);

  pipe.write_text("G1 Y5\n");
  pipe.close_writer();
  std::string rest, line;
  while (std::getline(gcode, line)) rest += line + ";";
  EXPECT_EQ(rest, "G1 Y5;");
  EXPECT_EQ(counting.bytes(), 23U);
}

TEST(CountingStreamBuf, CountsEveryByteOfAFileLargerThanItsBuffer) {
  Pipe pipe;
  CountingStreamBuf counting(*pipe.reader().rdbuf());
  std::istream gcode(&counting);
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
  EXPECT_EQ(counting.bytes(), line.size() * kLines);
}

}  // namespace
}  // namespace rtstep::cli
