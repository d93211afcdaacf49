// stepgen: reaches the commanded position, respects maxvel/maxaccel and the pulse timing rules on every
// recorded edge, in virtual cycles and in a real 25 us thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

// A base-thread probe that records every change of step/dir with its cycle number (preallocated).
struct EdgeRecorder : Instance {
  struct Edge {
    int64_t cycle;
    bool step, dir;
  };
  Pin<bool> step, dir;
  std::vector<Edge> edges = std::vector<Edge>(200000);
  std::atomic<std::size_t> count{0};
  int64_t cycle = 0;
  bool last_step = false, last_dir = false;

  static void record(void* arg, int64_t /*period*/) noexcept {
    auto& r = *static_cast<EdgeRecorder*>(arg);
    const bool s = r.step.get(), d = r.dir.get();
    const std::size_t n = r.count.load(std::memory_order_relaxed);
    if ((s != r.last_step || d != r.last_dir) && n < r.edges.size()) {
      r.edges[n] = {r.cycle, s, d};
      r.count.store(n + 1, std::memory_order_release);
    }
    r.last_step = s;
    r.last_dir = d;
    ++r.cycle;
  }
};

EdgeRecorder& add_recorder(Hal& hal) {
  const int id = *hal.add_component("rec");
  auto& r = static_cast<EdgeRecorder&>(*hal.own(id, std::make_unique<EdgeRecorder>()));
  EXPECT_TRUE(hal.add_pin(id, "rec.step", Dir::kIn, r.step).ok());
  EXPECT_TRUE(hal.add_pin(id, "rec.dir", Dir::kIn, r.dir).ok());
  EXPECT_TRUE(hal.add_function(id, "rec", &EdgeRecorder::record, &r).ok());
  hal.ready(id);
  return r;
}

struct Rules {
  int64_t period, steplen, stepspace, dirsetup, dirhold;  // ns
};

// Checks every recorded edge against the timing rules; returns the net step count (+ for DIR low).
int64_t check_edges(const EdgeRecorder& r, const Rules& rules) {
  int64_t net = 0;
  int64_t rise = -1, fall = -1'000'000, dir_change = -1'000'000;
  bool step = false, dir = false;
  const std::size_t n = r.count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = r.edges[i];
    const int64_t t = e.cycle * rules.period;
    if (e.dir != dir) {
      EXPECT_FALSE(step) << "DIR changed during a pulse at cycle " << e.cycle;
      EXPECT_GE(t - fall, rules.dirhold) << "dirhold violated at cycle " << e.cycle;
      dir_change = t;
      dir = e.dir;
    }
    if (e.step && !step) {
      EXPECT_GE(t - fall, rules.stepspace) << "stepspace violated at cycle " << e.cycle;
      EXPECT_GE(t - dir_change, rules.dirsetup) << "dirsetup violated at cycle " << e.cycle;
      rise = t;
      net += dir ? -1 : 1;
    } else if (!e.step && step) {
      EXPECT_GE(t - rise, rules.steplen) << "steplen violated at cycle " << e.cycle;
      fall = t;
    }
    step = e.step;
  }
  return net;
}

const char* kMachine =
    "loadrt threads name1=base period1=25000 name2=servo period2=1000000\n"
    "loadrt stepgen step_type=0\n"
    "addf stepgen.make-pulses base\n"
    "addf rec base\n"
    "addf stepgen.capture-position servo\n"
    "addf stepgen.update-freq servo\n"
    "net step stepgen.0.step => rec.step\n"
    "net dir stepgen.0.dir => rec.dir\n"
    "setp stepgen.0.position-scale 100\n"
    "setp stepgen.0.maxvel 40\n"
    "setp stepgen.0.maxaccel 400\n"
    "setp stepgen.0.steplen 5000\n"
    "setp stepgen.0.stepspace 5000\n"
    "setp stepgen.0.dirsetup 20000\n"
    "setp stepgen.0.dirhold 30000\n"
    "setp stepgen.0.enable 1\n";

TEST(Stepgen, ReachesCommandedPositionsWithinLimitsAndTimingRules) {
  Hal hal;
  auto& rec = add_recorder(hal);
  Session s(hal);
  ASSERT_TRUE(s.run(kMachine)) << s.err();
  std::vector<double> freq;  // the DDS velocity every servo period (steps/s)
  const auto run_ms = [&](int ms) {
    for (int i = 0; i < ms; ++i) {
      ASSERT_TRUE(hal.run_virtual(40).ok());
      freq.push_back(std::stod(*hal.get_pin_or_param("stepgen.0.frequency")));
    }
  };
  ASSERT_TRUE(hal.set_pin_or_param("stepgen.0.position-cmd", "10").ok());
  run_ms(600);
  EXPECT_EQ(*hal.get_pin_or_param("stepgen.0.counts"), "1000");
  EXPECT_NEAR(std::stod(*hal.get_pin_or_param("stepgen.0.position-fb")), 10.0, 0.01);
  ASSERT_TRUE(hal.set_pin_or_param("stepgen.0.position-cmd", "-2.5").ok());  // a reversal
  run_ms(800);
  EXPECT_EQ(*hal.get_pin_or_param("stepgen.0.counts"), "-250");
  // Timing params were rounded up to whole base periods and written back.
  EXPECT_EQ(*hal.get_pin_or_param("stepgen.0.steplen"), "25000");
  EXPECT_EQ(*hal.get_pin_or_param("stepgen.0.dirhold"), "50000");
  const Rules rules{25000, 25000, 25000, 25000, 50000};
  EXPECT_EQ(check_edges(rec, rules), -250) << "every step was recorded with its direction";
  // maxvel 40 * 100 = 4000 steps/s, maxaccel 400 * 100 = 40000 steps/s^2 (40 Hz per 1 ms servo period).
  for (std::size_t i = 0; i < freq.size(); ++i) {
    EXPECT_LE(std::fabs(freq[i]), 4000.0 + 1e-6) << "servo period " << i;
    if (i > 0) {
      EXPECT_LE(std::fabs(freq[i] - freq[i - 1]), 40.0 + 1e-6) << "servo period " << i;
    }
  }
  // On the recorded steps: at most 40 steps per 10 ms window (+1 for quantisation).
  std::vector<int> per_window(1400 / 10 + 1, 0);
  for (std::size_t i = 0; i < rec.count.load(); ++i) {
    if (rec.edges[i].step) ++per_window[static_cast<std::size_t>(rec.edges[i].cycle / 400)];
  }
  for (std::size_t w = 0; w < per_window.size(); ++w) {
    EXPECT_LE(per_window[w], 41) << "window " << w;
    // maxaccel: 40000 steps/s^2 changes the rate by 400 steps/s (4 steps per window) per 10 ms window.
    if (w > 0) {
      EXPECT_LE(std::abs(per_window[w] - per_window[w - 1]), 4 + 2) << "window " << w;
    }
  }
}

TEST(Stepgen, VelocityModeAndDisable) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=base period1=50000 name2=servo period2=1000000\n"
                    "loadrt stepgen step_type=0 ctrl_type=v\naddf stepgen.make-pulses base\n"
                    "addf stepgen.update-freq servo\naddf stepgen.capture-position servo\n"
                    "setp stepgen.0.velocity-cmd 1000\nsetp stepgen.0.enable 1\n"))
      << s.err();
  ASSERT_TRUE(hal.run_virtual(20 * 1000).ok());  // 1 s at 1000 steps/s (reached within one servo period)
  const int counts = std::stoi(*hal.get_pin_or_param("stepgen.0.counts"));
  EXPECT_NEAR(counts, 1000, 2);
  ASSERT_TRUE(hal.set_pin_or_param("stepgen.0.enable", "0").ok());
  ASSERT_TRUE(hal.run_virtual(20 * 100).ok());
  EXPECT_NEAR(std::stoi(*hal.get_pin_or_param("stepgen.0.counts")), counts, 1) << "disabled: no more steps";
}

TEST(Stepgen, RejectsBadStepTypesAndUserPatterns) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"step_type=0,16",
       "step_type=16 (channel 1): step types are 0 (step/dir), 1 (up/down), 2 to 14 (phase patterns) and 15 "
       "(user_step_type=)"},
      {"step_type=x",
       "step_type=x (channel 0): step types are 0 (step/dir), 1 (up/down), 2 to 14 (phase patterns) and 15 "
       "(user_step_type=)"},
      {"step_type=0,15", "step_type=15 (channel 1) needs user_step_type= (the phase pattern)"},
      {"step_type=15 user_step_type=1,32", "user_step_type=1,32: state '32' (state 1) is not a bit mask of phases A "
                                           "(1) to E (16), 0 to 31"},
      {"step_type=15 user_step_type=1,-2", "user_step_type=1,-2: state '-2' (state 1) is not a bit mask of phases A "
                                           "(1) to E (16), 0 to 31"},
      {"step_type=15 user_step_type=3", "user_step_type=3: give 2 to 10 states (a pattern of 1 cannot step)"},
      {"step_type=15 user_step_type=1,2,1,2,1,2,1,2,1,2,1",
       "user_step_type=1,2,1,2,1,2,1,2,1,2,1: give 2 to 10 states (a pattern of 11 cannot step)"},
      {"step_type=15 user_step_type=0,0", "user_step_type=0,0: no state turns a phase on"},
  };
  for (const auto& [args, message] : cases) {
    Hal hal;
    Session s(hal);
    EXPECT_FALSE(s.run("loadrt stepgen " + args + "\n"));
    EXPECT_EQ(s.err(), "stepgen: " + message + "\ntest.hal:1: insmod for stepgen failed, returned -1\n") << args;
    EXPECT_EQ(hal.find_component("stepgen"), nullptr) << args;
  }
}

// A 50 us base / 1 ms servo machine with one stepgen of `type`, slow enough that every step is seen.
void load_typed(Session& s, const std::string& type, const std::string& extra) {
  ASSERT_TRUE(s.run("loadrt threads name1=base period1=50000 name2=servo period2=1000000\n"
                    "loadrt stepgen step_type=" + type + "\n"
                    "addf stepgen.make-pulses base\n"
                    "addf stepgen.capture-position servo\naddf stepgen.update-freq servo\n"
                    "setp stepgen.0.maxvel 2000\nsetp stepgen.0.maxaccel 20000\nsetp stepgen.0.enable 1\n" + extra))
      << s.err();
}

void move_to(Hal& hal, int position) {
  ASSERT_TRUE(hal.set_pin_or_param("stepgen.0.position-cmd", std::to_string(position)).ok());
  ASSERT_TRUE(hal.run_virtual(20 * 200).ok());  // 200 ms
  ASSERT_EQ(*hal.get_pin_or_param("stepgen.0.counts"), std::to_string(position));
}

TEST(Stepgen, QuadratureOutputIsDecodedByTheEncoderToTheSameCount) {
  Hal hal;
  Session s(hal);
  load_typed(s, "2",
             "loadrt encoder num_chan=1\naddf encoder.update-counters base\naddf encoder.capture-position servo\n"
             "net a stepgen.0.phase-A => encoder.0.phase-A\nnet b stepgen.0.phase-B => encoder.0.phase-B\n"
             "setp stepgen.0.dirdelay 100000\n");
  ASSERT_TRUE(hal.run_virtual(40).ok());  // the encoder sees the pattern's first state (A high) once
  ASSERT_TRUE(s.run("setp encoder.0.reset 1\n")) << s.err();
  ASSERT_TRUE(hal.run_virtual(20).ok());
  ASSERT_TRUE(s.run("setp encoder.0.reset 0\n")) << s.err();
  for (int target : {37, -5, 12}) {
    move_to(hal, target);
    EXPECT_EQ(*hal.get_pin_or_param("encoder.0.counts"), std::to_string(target));
  }
}

TEST(Stepgen, UpDownPulsesOneOutputPerDirection) {
  Hal hal;
  Session s(hal);
  // Two encoders in counter mode count the rising edges of up and down.
  load_typed(s, "1",
             "loadrt encoder num_chan=2\naddf encoder.update-counters base\naddf encoder.capture-position servo\n"
             "setp encoder.0.counter-mode 1\nsetp encoder.1.counter-mode 1\n"
             "net up stepgen.0.up => encoder.0.phase-A\nnet down stepgen.0.down => encoder.1.phase-A\n");
  move_to(hal, 20);
  move_to(hal, 5);
  EXPECT_EQ(*hal.get_pin_or_param("encoder.0.rawcounts"), "20");
  EXPECT_EQ(*hal.get_pin_or_param("encoder.1.rawcounts"), "15");
  EXPECT_EQ(hal.params().count("stepgen.0.dirdelay"), 1U);
  EXPECT_EQ(hal.params().count("stepgen.0.dirsetup"), 0U);
}

// A base-thread probe that records every change of the five phase inputs as a string "ABCDE" of 0/1.
struct PhaseRecorder : Instance {
  Pin<bool> phase[5];
  std::vector<std::string> states;  // reserved before the run: recording does not allocate while capacity lasts
  std::string last;

  static void record(void* arg, int64_t /*period*/) noexcept {
    auto& r = *static_cast<PhaseRecorder*>(arg);
    char now[6] = {};
    for (int k = 0; k < 5; ++k) now[k] = r.phase[k].get() ? '1' : '0';
    if (r.last != now && r.states.size() < r.states.capacity()) {
      r.last = now;
      r.states.emplace_back(now);
    }
  }
};

PhaseRecorder& add_phase_recorder(Hal& hal) {
  const int id = *hal.add_component("phrec");
  auto& r = static_cast<PhaseRecorder&>(*hal.own(id, std::make_unique<PhaseRecorder>()));
  r.states.reserve(1000);
  r.last.reserve(8);
  for (int k = 0; k < 5; ++k) {
    EXPECT_TRUE(hal.add_pin(id, std::string("phrec.") + static_cast<char>('A' + k), Dir::kIn, r.phase[k]).ok());
  }
  EXPECT_TRUE(hal.add_function(id, "phrec", &PhaseRecorder::record, &r).ok());
  hal.ready(id);
  return r;
}

// The state tables of LinuxCNC's stepgen manual (phases A..E as 0/1, forward order), restated here
// independently of stepgen.cpp; user_step_type= patterns as their bit masks give them.
struct PatternCase {
  std::string type;
  std::vector<std::string> states;
};

const std::vector<PatternCase>& pattern_cases() {
  static const std::vector<PatternCase> cases = {
      {"2", {"10", "11", "01", "00"}},
      {"3", {"100", "010", "001"}},
      {"4", {"100", "110", "010", "011", "001", "101"}},
      {"5", {"1000", "0100", "0010", "0001"}},
      {"6", {"1100", "0110", "0011", "1001"}},
      {"7", {"1000", "1110", "0111", "0001"}},
      {"8", {"1010", "0110", "0101", "1001"}},
      {"9", {"1000", "1100", "0100", "0110", "0010", "0011", "0001", "1001"}},
      {"10", {"1000", "1010", "1110", "0110", "0111", "0101", "0001", "1001"}},
      {"11", {"10000", "01000", "00100", "00010", "00001"}},
      {"12", {"11000", "01100", "00110", "00011", "10001"}},
      {"13", {"10000", "11000", "01000", "01100", "00100", "00110", "00010", "00011", "00001", "10001"}},
      {"14", {"11000", "11100", "01100", "01110", "00110", "00111", "00011", "10011", "10001", "11001"}},
      {"15 user_step_type=1,3,2", {"10", "11", "01"}},             // two phases
      {"15 user_step_type=16,8,4,2,1,0", {"00001", "00010", "00100", "01000", "10000", "00000"}},
  };
  return cases;
}

// Walks each pattern forward 2.5 cycles and back past the start; the recorded phase states must follow the
// table one state per step, forward then in reverse.
TEST(Stepgen, PhaseTypesWalkTheirPatternBothWays) {
  for (const auto& c : pattern_cases()) {
    Hal hal;
    Session s(hal);
    PhaseRecorder& rec = add_phase_recorder(hal);
    const std::size_t phases = c.states[0].size();
    std::string wiring = "addf phrec base\n";
    for (std::size_t k = 0; k < phases; ++k) {
      const char name = static_cast<char>('A' + k);
      wiring += std::string("net p") + name + " stepgen.0.phase-" + name + " => phrec." + name + "\n";
    }
    load_typed(s, c.type, wiring);
    EXPECT_EQ(hal.pins().count(std::string("stepgen.0.phase-") + static_cast<char>('A' + phases)), 0U)
        << "type " << c.type << " has " << phases << " phase pins";
    const int n = static_cast<int>(c.states.size());
    const int forward = 2 * n + n / 2, back = -n - 1;
    move_to(hal, forward);
    move_to(hal, back);
    std::vector<std::string> expected;
    const auto state_at = [&](int position) { return c.states[static_cast<std::size_t>(((position % n) + n) % n)]; };
    for (int p = 0; p <= forward; ++p) expected.push_back(state_at(p));
    for (int p = forward - 1; p >= back; --p) expected.push_back(state_at(p));
    std::vector<std::string> recorded;
    for (const std::string& st : rec.states) recorded.push_back(st.substr(0, phases));
    EXPECT_EQ(recorded, expected) << "step type " << c.type;
  }
}

// The done-criterion run: a real 25 us base thread (SCHED_OTHER here; `rtstep hal` uses SCHED_FIFO).
// Cycles may come late on a loaded machine, but every cycle runs the functions once, so the step count
// and the rules in base periods hold regardless.
TEST(Stepgen, RealTwentyFiveMicrosecondThreadProducesTheCommandedSteps) {
  Hal hal;
  Hal::ThreadOptions o;
  o.realtime = false;
  o.lock_memory = false;
  hal.set_thread_options(o);
  auto& rec = add_recorder(hal);
  Session s(hal);
  ASSERT_TRUE(s.run(kMachine)) << s.err();
  ASSERT_TRUE(s.run("setp stepgen.0.position-cmd 1\nstart\n")) << s.err();
  // Settled: at the target with the DDS stopped for 20 consecutive checks. A late base cycle on an
  // overloaded machine makes the position loop catch up (and possibly overshoot by a step), so this
  // waits for the loop rather than for the first arrival.
  int settled = 0;
  for (int i = 0; i < 4000 && settled < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const bool at_rest = *hal.get_pin_or_param("stepgen.0.counts") == "100" &&
                         *hal.get_pin_or_param("stepgen.0.frequency") == "0";
    settled = at_rest ? settled + 1 : 0;
  }
  hal.stop();
  const std::string report = hal.thread_report();
  hal.shutdown();
  EXPECT_EQ(*hal.get_pin_or_param("stepgen.0.counts"), "100");
  EXPECT_EQ(check_edges(rec, {25000, 25000, 25000, 25000, 50000}), 100);
  EXPECT_NE(report.find("base"), std::string::npos) << report;
  EXPECT_NE(report.find("servo"), std::string::npos) << report;
}

}  // namespace
}  // namespace rtstep::hal
