// HAL lifetimes while threads run: delsig, unlinkp and net/delsig cycles must never leave a running
// function reading freed memory (hal.hpp: the grace period of delete_signal). The strongest check runs
// under ThreadSanitizer (scripts/tsan.sh -R HalLifetime), which reports a free that races a read; the plain
// build checks the values the functions saw.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "hal/thread.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

// A component whose function copies its IN pin to its OUT pin every period, and counts the cycles it saw
// a value that no writer in this test ever writes (memory that was freed and reused would show one).
struct Copier : Instance {
  Pin<double> in;
  Pin<double> out;
  std::atomic<uint64_t> cycles{0};
  std::atomic<uint64_t> strange{0};
};

void copy_fn(void* arg, int64_t) noexcept {
  auto* c = static_cast<Copier*>(arg);
  const double v = c->in.get();
  if (v != 0.0 && v != 1.0 && v != 2.0) c->strange.fetch_add(1, std::memory_order_relaxed);
  c->out.set(v);
  c->cycles.fetch_add(1, std::memory_order_relaxed);
}

Copier& add_copier(Hal& hal) {
  const int id = *hal.add_component("copier");
  auto& c = static_cast<Copier&>(*hal.own(id, std::make_unique<Copier>()));
  EXPECT_TRUE(hal.add_pin(id, "copier.in", Dir::kIn, c.in, 0.0).ok());
  EXPECT_TRUE(hal.add_pin(id, "copier.out", Dir::kOut, c.out, 0.0).ok());
  EXPECT_TRUE(hal.add_function(id, "copier", copy_fn, &c).ok());
  hal.ready(id);
  return c;
}

Hal::ThreadOptions test_options() {
  Hal::ThreadOptions o;
  o.realtime = false;  // SCHED_OTHER: no privileges needed
  o.lock_memory = false;
  return o;
}

void wait_for_cycles(const Copier& c, uint64_t at_least) {
  for (int i = 0; i < 5000 && c.cycles.load() < at_least; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// net, sets, delsig again and again while the thread reads and writes through the pins: each delsig frees
// the signal's value only after the cycles that could hold its pointer have ended.
TEST(HalLifetime, DelsigWhileRunningNeverFreesAValueAFunctionMayRead) {
  Hal hal;
  hal.set_thread_options(test_options());
  testing::Session s(hal);
  Copier& c = add_copier(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=200000\naddf copier t\nstart\n")) << s.err();
  wait_for_cycles(c, 1);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(s.run("net a copier.in\nnet b copier.out\nsets a 1\n")) << s.err();
    const uint64_t before = c.cycles.load();
    wait_for_cycles(c, before + 1);
    ASSERT_TRUE(s.run("delsig a\ndelsig b\n")) << s.err();
  }
  EXPECT_EQ(c.strange.load(), 0U);
  EXPECT_TRUE(hal.signals().empty());
  // Unlinked, the pins keep the last value they saw (LinuxCNC's rule), and the copy goes on.
  EXPECT_EQ(*hal.get_pin_or_param("copier.in"), "1");
  hal.shutdown();
}

// unlinkp then delsig, and delsig of a signal whose pins a stopped HAL's threads still tick past: the grace
// period completes (ticks go on while stopped) and the command returns.
TEST(HalLifetime, UnlinkpThenDelsigAndDelsigWhileStopped) {
  Hal hal;
  hal.set_thread_options(test_options());
  testing::Session s(hal);
  Copier& c = add_copier(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=500000\naddf copier t\nnet a copier.in\nsets a 2\nstart\n")) << s.err();
  wait_for_cycles(c, 2);
  EXPECT_EQ(*hal.get_pin_or_param("copier.out"), "2");
  ASSERT_TRUE(s.run("unlinkp copier.in\ndelsig a\n")) << s.err();
  EXPECT_EQ(*hal.get_pin_or_param("copier.in"), "2");
  ASSERT_TRUE(s.run("net b copier.in\nstop\n")) << s.err();
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.run("delsig b\n")) << s.err();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3)) << "a stopped HAL's threads still tick";
  EXPECT_EQ(c.strange.load(), 0U);
  hal.shutdown();
}

// The grace period itself: it returns only after a cycle that began after the call has ended, and at once
// when no thread runs.
TEST(HalLifetime, WaitGraceSpansACycleThatBeganAfterTheCall) {
  Hal hal;
  hal.set_thread_options(test_options());
  testing::Session s(hal);
  Copier& c = add_copier(hal);
  EXPECT_TRUE(hal.wait_grace()) << "threads not started: nothing to wait for";
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=1000000\naddf copier t\nstart\n")) << s.err();
  wait_for_cycles(c, 1);
  for (int i = 0; i < 5; ++i) {
    const uint64_t before = c.cycles.load();
    ASSERT_TRUE(hal.wait_grace());
    EXPECT_GE(c.cycles.load(), before + 1);
  }
  hal.shutdown();
  EXPECT_TRUE(hal.wait_grace());
}

}  // namespace
}  // namespace rtstep::hal
