// parse_line and Reader::next must not allocate per line once warmed up. This file replaces the global
// operator new for the whole test binary with one that counts, while a test has counting switched on.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <sstream>
#include <string>

#include "gcode/gcode.hpp"

// The replacement operators below pair malloc with free; GCC, seeing `new` inlined next to `free`,
// wrongly reports a mismatch.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { std::free(p); }

namespace rtstep::gcode {
namespace {

constexpr const char* kLines[] = {
    "G1 X12.345 Y67.89 E0.0123",  "G1 F1800 X1 Y2 E.5 ; c", "G2 X1 Y1 I1 J0", "M104 S200", "M73 P1",
    "SET_VELOCITY_LIMIT ACCEL=1000 VELOCITY=\"200\"", "BED_MESH_CALIBRATE_LONG_NAME_MACRO X=1", "(c) G28 X Y",
    "N5 G92 E0*66", "",
};

// Counts allocations made by `work`.
template <typename Work>
long allocations_during(Work&& work) {
  g_allocations = 0;
  g_counting = true;
  work();
  g_counting = false;
  return g_allocations.load();
}

// Without this, a counter that never counts would make the tests below pass.
TEST(GcodeAllocation, CounterSeesAllocations) {
  static std::string* volatile keep = nullptr;
  EXPECT_GE(allocations_during([] { keep = new std::string(100, 'x'); }), 1);
  delete keep;
}

TEST(GcodeAllocation, ParseLineDoesNotAllocateOnceWarm) {
  LineScratch scratch;
  Command command;
  ParseError error;
  auto parse_all = [&] {
    for (const char* line : kLines) {
      EXPECT_TRUE(parse_line(line, 1, "a.gcode", scratch, command, error)) << line << ": " << error.to_string();
    }
  };
  parse_all();  // warm-up: the scratch buffers grow to fit
  EXPECT_EQ(allocations_during([&] {
              for (int i = 0; i < 100; ++i) {
                parse_all();
              }
            }),
            0);
}

TEST(GcodeAllocation, ReaderDoesNotAllocatePerLine) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    for (const char* line : kLines) {
      text += line;
      text += '\n';
    }
  }
  std::istringstream in(text);
  Reader reader(in, "a.gcode");
  for (std::size_t i = 0; i < std::size(kLines); ++i) {
    ASSERT_EQ(reader.next(), ReadStatus::kCommand) << reader.error().to_string();  // first round: warm-up
  }
  EXPECT_EQ(allocations_during([&] {
              while (reader.next() == ReadStatus::kCommand) {
              }
            }),
            0);
  EXPECT_EQ(reader.line_number(), 200 * std::size(kLines));
}

}  // namespace
}  // namespace rtstep::gcode
