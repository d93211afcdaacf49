// halcmd housekeeping: ptype/stype, show -t, lock/unlock/status, save (replayed into a fresh Hal), initf,
// unloadrt (also while the threads run).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hal/thread.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

TEST(HalcmdAdmin, PtypeAndStypePrintTypes) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt lowpass\nnewsig n s32\nptype lowpass.0.out\nptype lowpass.0.gain\nstype n\n")) << s.err();
  EXPECT_EQ(s.out(), "float\nfloat\ns32\n");
  s.clear();
  EXPECT_FALSE(s.run("stype nosuch\n"));
  EXPECT_EQ(s.err(), "test.hal:1: signal 'nosuch' not found\n");
}

TEST(HalcmdAdmin, ShowTypeFilterKeepsOnlyThatType) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt conv_s32_float\n")) << s.err();
  s.clear();
  ASSERT_TRUE(s.run("show pin -t bit\n")) << s.err();
  EXPECT_EQ(s.out(), "Component Pins:\nOwner   Type  Dir         Value  Name\n\n");
  s.clear();
  ASSERT_TRUE(s.run("show pin -t s32 conv\n")) << s.err();
  EXPECT_EQ(s.out(),
            "Component Pins:\n"
            "Owner   Type  Dir         Value  Name\n"
            "     4  s32   IN              0  conv-s32-float.0.in\n"
            "     4  s32   OUT             0  conv-s32-float.0.time\n"
            "\n");
}

TEST(HalcmdAdmin, LockForbidsTheLockedCommandsUntilUnlocked) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt not\nlock tune\nsetp not.0.in 1\nstatus lock\n")) << s.err();
  EXPECT_NE(s.out().find("current lock value 3 (0x03): tune"), std::string::npos) << s.out();
  EXPECT_NE(s.out().find("locked:   load"), std::string::npos) << s.out();
  EXPECT_NE(s.out().find("unlocked: params"), std::string::npos) << s.out();
  EXPECT_FALSE(s.run("loadrt and2\n"));
  EXPECT_EQ(s.err(), "test.hal:1: HAL is locked (tune): 'loadrt' is not permitted; 'unlock' first\n");
  s.clear();
  EXPECT_FALSE(s.run("net x not.0.out\n"));
  EXPECT_NE(s.err().find("'net' is not permitted"), std::string::npos);
  s.clear();
  ASSERT_TRUE(s.run("unlock config\nnet x not.0.out\nlock all\n")) << s.err();
  EXPECT_FALSE(s.run("not.0.in = 0\n"));
  EXPECT_NE(s.err().find("'setp' is not permitted"), std::string::npos) << s.err();
  s.clear();
  ASSERT_TRUE(s.run("unlock\nloadrt and2\nstatus mem\n")) << s.err();
  EXPECT_NE(s.out().find("components 2, pins 7, parameters 4, signals 1, functions 2, threads 0 (not started)"),
            std::string::npos)
      << s.out();
}

// A configuration that uses every kind of object `save` writes.
const char* kConfig = R"(loadrt threads name1=base period1=50000 name2=servo period2=1000000
loadrt stepgen step_type=0 ctrl_type=v
loadrt siggen names=wave
loadrt lowpass count=2
addf stepgen.make-pulses base
addf wave.update servo
addf lowpass.1 servo
addf lowpass.0 servo 1
addf stepgen.update-freq servo
net vel wave.sine => stepgen.0.velocity-cmd lowpass.0.in
net filtered lowpass.0.out => lowpass.1.in
newsig spare float
sets spare 0.1
net enable => stepgen.0.enable
sets enable TRUE
setp stepgen.0.position-scale 80.123456789
setp lowpass.0.gain 0.25
setp wave.amplitude 3
)";

TEST(HalcmdAdmin, SaveWritesAFileThatRebuildsTheSameHal) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run(kConfig)) << s.err();
  const auto path = std::filesystem::temp_directory_path() / "rtstep_halcmd_admin_save.hal";
  ASSERT_TRUE(s.run("save all " + path.string() + "\n")) << s.err();
  std::stringstream saved;
  saved << std::ifstream(path).rdbuf();
  const std::string text = saved.str();
  EXPECT_NE(text.find("loadrt stepgen step_type=0 ctrl_type=v\n"), std::string::npos) << text;
  EXPECT_NE(text.find("net vel wave.sine => stepgen.0.velocity-cmd lowpass.0.in\n"), std::string::npos) << text;
  EXPECT_NE(text.find("newsig spare float\n"), std::string::npos) << text;
  EXPECT_NE(text.find("setp stepgen.0.position-scale 80.12345678900"), std::string::npos) << text;
  EXPECT_NE(text.find("addf lowpass.0 servo\naddf wave.update servo\naddf lowpass.1 servo\n"), std::string::npos) << text;
  EXPECT_EQ(text.find(".tmax "), std::string::npos) << "statistics are not configuration";

  Hal copy;
  Session c(copy);
  ASSERT_TRUE(c.run("source " + path.string() + "\n")) << c.err();
  s.clear();
  c.clear();
  ASSERT_TRUE(s.run("save\nshow pin\nshow sig\nshow param\nshow thread\n"));
  ASSERT_TRUE(c.run("save\nshow pin\nshow sig\nshow param\nshow thread\n"));
  EXPECT_EQ(c.out(), s.out());
}

// Counts the calls of its two functions.
struct Counter : Instance {
  int init_calls = 0;
  int cyclic_calls = 0;
  static void init(void* arg, int64_t /*period*/) noexcept { ++static_cast<Counter*>(arg)->init_calls; }
  static void cyclic(void* arg, int64_t /*period*/) noexcept { ++static_cast<Counter*>(arg)->cyclic_calls; }
};

TEST(HalcmdAdmin, InitfRunsOnceInTheFirstCycleInsteadOfTheCyclicList) {
  Hal hal;
  const int id = *hal.add_component("counter");
  auto& counter = static_cast<Counter&>(*hal.own(id, std::make_unique<Counter>()));
  ASSERT_TRUE(hal.add_function(id, "counter.init", &Counter::init, &counter).ok());
  ASSERT_TRUE(hal.add_function(id, "counter.cyclic", &Counter::cyclic, &counter).ok());
  hal.ready(id);
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=1000000\ninitf counter.init t\naddf counter.cyclic t\n")) << s.err();
  ASSERT_TRUE(hal.run_virtual(3).ok());
  EXPECT_EQ(counter.init_calls, 1);
  EXPECT_EQ(counter.cyclic_calls, 2);
  s.clear();
  ASSERT_TRUE(s.run("save thread\n"));
  EXPECT_EQ(s.out(), "# realtime thread/function links\ninitf counter.init t\naddf counter.cyclic t\n");
  s.clear();
  EXPECT_FALSE(s.run("initf counter.init t\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: initf counter.init t: function 'counter.init' is already an init function of thread 't'\n"
                     "test.hal:1: initf failed\n");
}

TEST(HalcmdAdmin, UnloadrtRemovesAComponentAndItsLinksWhileTheThreadsRun) {
  Hal hal;
  Hal::ThreadOptions o;
  o.realtime = false;
  o.lock_memory = false;
  hal.set_thread_options(o);
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=200000\nloadrt siggen\nloadrt lowpass\n"
                    "addf siggen.0.update t\naddf lowpass.0 t\nnet wave siggen.0.sine => lowpass.0.in\nstart\n"))
      << s.err();
  for (int i = 0; i < 2000 && std::stoll(*hal.get_pin_or_param("t.threadbeat")) < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(s.run("unloadrt siggen\n")) << s.err();
  EXPECT_EQ(hal.find_component("siggen"), nullptr);
  EXPECT_EQ(hal.functions().count("siggen.0.update"), 0U);
  ASSERT_EQ(hal.find_thread("t")->functions().size(), 1U);
  EXPECT_EQ(hal.find_thread("t")->functions()[0]->name, "lowpass.0");
  EXPECT_EQ(hal.signals().at("wave")->pins.size(), 1U);  // lowpass.0.in stays on the signal
  const int64_t beat = std::stoll(*hal.get_pin_or_param("t.threadbeat"));
  for (int i = 0; i < 2000 && std::stoll(*hal.get_pin_or_param("t.threadbeat")) < beat + 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(std::stoll(*hal.get_pin_or_param("t.threadbeat")), beat + 3) << "the thread runs on";
  // The threads component takes its threads along (the periodic threads stop first).
  ASSERT_TRUE(s.run("unloadrt threads\n")) << s.err();
  EXPECT_TRUE(hal.threads().empty());
  EXPECT_FALSE(hal.threads_started());
  EXPECT_EQ(hal.functions().at("lowpass.0")->users, 0);
  ASSERT_TRUE(s.run("unloadrt all\n")) << s.err();
  EXPECT_TRUE(hal.components().empty());
  EXPECT_TRUE(hal.pins().empty());
  s.clear();
  EXPECT_FALSE(s.run("unloadrt lowpass\n"));
  EXPECT_EQ(s.err(), "test.hal:1: component 'lowpass' is not loaded\n");
}

// unloadrt all while the threads run: the threads' pseudo-components go with their threads, never before
// them (their pins point into the threads).
TEST(HalcmdAdmin, UnloadAllWhileRunningTakesPseudoComponentsWithTheirThreads) {
  Hal hal;
  Hal::ThreadOptions o;
  o.realtime = false;
  o.lock_memory = false;
  hal.set_thread_options(o);
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=500000\nloadrt and2\naddf and2.0 t\nstart\n")) << s.err();
  EXPECT_FALSE(s.run("unloadrt __t\n"));
  EXPECT_EQ(s.err(), "test.hal:1: component '__t' belongs to thread 't' and goes with it\n");
  s.clear();
  ASSERT_TRUE(s.run("unloadrt all\n")) << s.err();
  EXPECT_TRUE(hal.components().empty());
  EXPECT_TRUE(hal.pins().empty());
  EXPECT_TRUE(hal.threads().empty());
}

}  // namespace
}  // namespace rtstep::hal
