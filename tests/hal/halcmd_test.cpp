// The command language: commands, error locations, -k, show layouts and addf ordering.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "hal/thread.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

TEST(Halcmd, StopsAtTheFirstErrorWithFileAndLine) {
  Hal hal;
  Session s(hal);
  EXPECT_FALSE(s.run("loadrt and2 count=2\n\nnet a and2.0.out and2.1.in0\nsetp and2.0.in0 maybe\nsetp and2.0.in1 1\n"));
  EXPECT_EQ(s.err(), "test.hal:4: value 'maybe' invalid for bit\ntest.hal:4: setp failed\n");
  EXPECT_EQ(*hal.get_pin_or_param("and2.0.in1"), "FALSE") << "the line after the error did not run";
}

TEST(Halcmd, KeepGoingReportsEveryError) {
  Hal hal;
  Session s(hal);
  s.cmd().set_keep_going(true);
  EXPECT_FALSE(s.run("frobnicate\nloadrt nosuch\nloadrt and2\nsetp and2.0.in1 1\n"));
  EXPECT_NE(s.err().find("test.hal:1: Unknown command 'frobnicate'\n"), std::string::npos) << s.err();
  EXPECT_NE(s.err().find("\nnosuch: no such component (rtstep has built in: threads, and2,"), std::string::npos) << s.err();
  EXPECT_NE(s.err().find("\ntest.hal:2: insmod for nosuch failed, returned -1\n"), std::string::npos) << s.err();
  EXPECT_EQ(s.cmd().error_count(), 2);
  EXPECT_EQ(*hal.get_pin_or_param("and2.0.in1"), "TRUE");
}

TEST(Halcmd, NetIgnoresArrowsAndGetsPrints) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt and2 names=g\nloadrt not\nnet x g.out => not.0.in\nnet y not.0.out <= \\\n"
                    "  g.in0\ng.in1 = 1\ngetp g.in1\ngets y\nnewsig free float\nsets free 0x10\ngets free\n"))
      << s.err();
  EXPECT_EQ(s.out(), "TRUE\nFALSE\n16\n");  // y holds not.0.out's initial FALSE: no function ran yet
  EXPECT_EQ(hal.pins().at("g.in0")->signal->name, "y");
  s.clear();
  EXPECT_FALSE(s.run("sets x 1\n"));
  EXPECT_EQ(s.err(), "test.hal:1: signal 'x' already has writer(s)\n");
}

TEST(Halcmd, LinkpsUnlinkpNewsigDelsig) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt not count=2\nnewsig s bit\nlinkps not.0.out => s\nlinksp s not.1.in\n"
                    "unlinkp not.1.in\ndelsig s\nlist sig\n"))
      << s.err();
  EXPECT_EQ(s.out(), "\n");
  s.clear();
  EXPECT_FALSE(s.run("newsig t flot\n"));
  EXPECT_EQ(s.err(), "test.hal:1: Unknown signal type 'flot'\ntest.hal:1: newsig failed\n");
  s.clear();
  EXPECT_FALSE(s.run("delsig s\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: signal 's' not found\n") << "halcmd adds no line of its own";
  s.clear();
  EXPECT_FALSE(s.run("linkps not.0.out nosig\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: signal 'nosig' not found\ntest.hal:1: link failed\n");
  s.clear();
  EXPECT_FALSE(s.run("unlinkp nopin\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: pin 'nopin' not found\ntest.hal:1: unlink failed\n");
  s.clear();
  ASSERT_TRUE(s.run("newsig a bit\nnewsig b float\ndelsig all\n")) << s.err();
  EXPECT_TRUE(hal.signals().empty());
  EXPECT_FALSE(s.run("delsig all\n"));
  EXPECT_EQ(s.err(), "test.hal:1: no signals found to be deleted\n");
}

TEST(Halcmd, ShowPinLayout) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt and2\nloadrt conv_s32_u32\nnet sig-a and2.0.out\n")) << s.err();
  s.clear();
  ASSERT_TRUE(s.run("show pin and2.0.o\nshow pin conv-s32-u32.0.out\n"));
  EXPECT_EQ(s.out(),
            "Component Pins:\n"
            "Owner   Type  Dir         Value  Name\n"
            "     4  bit   OUT         FALSE  and2.0.out ==> sig-a\n"
            "\n"
            "Component Pins:\n"
            "Owner   Type  Dir         Value  Name\n"
            "     7  u32   OUT    0x00000000  conv-s32-u32.0.out\n"
            "     7  bit   OUT         FALSE  conv-s32-u32.0.out-of-range\n"
            "\n");
}

TEST(Halcmd, ShowSignalParamAndCompLayouts) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt lowpass\nnet f lowpass.0.out => lowpass.0.in\nsetp lowpass.0.gain 0.5\n")) << s.err();
  s.clear();
  ASSERT_TRUE(s.run("show sig\nshow param lowpass.0.g\nshow comp\n"));
  EXPECT_EQ(s.out(),
            "Signals:\n"
            "Type          Value  Name     (linked to)\n"
            "float             0  f\n"
            "                         ==> lowpass.0.in\n"  // pins in name order, as LinuxCNC
            "                         <== lowpass.0.out\n"
            "\n"
            "Parameters:\n"
            "Owner   Type  Dir         Value  Name\n"
            "     4  float RW            0.5  lowpass.0.gain\n"
            "\n"
            "Loaded HAL Components:\n"
            "ID      Type  Name                                            PID   State\n"
            "     4  RT    lowpass                                               ready\n"
            "\n");
}

TEST(Halcmd, ThreadsRoundPeriodsAndAddfFollowsPositions) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=fast period1=25000 name2=slow period2=1010000\n"
                    "loadrt and2 count=4\n"
                    "addf and2.0 slow\naddf and2.1 slow\naddf and2.2 slow 1\naddf and2.3 slow -2\n"))
      << s.err();
  ASSERT_EQ(hal.threads().size(), 2U);
  EXPECT_EQ(hal.threads()[1]->period_ns(), 1'000'000) << "rounded to a multiple of the base period";
  EXPECT_EQ(hal.threads()[0]->priority(), 75);  // [rt] base_priority, below the step executor
  EXPECT_EQ(hal.threads()[1]->priority(), 70);  // [rt] servo_priority
  s.clear();
  ASSERT_TRUE(s.run("show thread\n"));
  EXPECT_EQ(s.out(),
            "Realtime Threads:\n"
            "     Period  FP     Name               (     Time, Max-Time )\n"
            "    1000000  YES                  slow (        0,        0 )\n"
            "                  1 and2.2\n"
            "                  2 and2.0\n"
            "                  3 and2.3\n"
            "                  4 and2.1\n"
            "      25000  YES                  fast (        0,        0 )\n"
            "\n");
  s.clear();
  EXPECT_FALSE(s.run("addf and2.0 fast\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: function 'and2.0' may only be added to one thread\ntest.hal:1: addf failed\n");
  s.clear();
  ASSERT_TRUE(s.run("delf and2.0\nloadrt or2\n"));
  EXPECT_FALSE(s.run("addf or2.0 fast 3\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: position '3' is too high\ntest.hal:1: addf failed\n");
  s.clear();
  EXPECT_FALSE(s.run("addf or2.0 fast 0\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: bad position: 0\ntest.hal:1: addf failed\n");
  s.clear();
  EXPECT_FALSE(s.run("addf or2.0 fast first\n")) << "read as C's atoi reads it: 0";
  EXPECT_EQ(s.err(), "HAL: ERROR: bad position: 0\ntest.hal:1: addf failed\n");
  s.clear();
  EXPECT_FALSE(s.run("addf or2.0 fast -3\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: position '-3' is too low\ntest.hal:1: addf failed\n");
  s.clear();
  EXPECT_FALSE(s.run("delf or2.0 fast\n"));
  EXPECT_EQ(s.err(), "HAL: ERROR: function 'or2.0' is not in use\ntest.hal:1: delf failed\n");
  s.clear();
  EXPECT_FALSE(s.run("addf or2.0\n"));
  EXPECT_EQ(s.err(), "test.hal:1: addf requires at least 2 arguments, 1 given\n");
}

TEST(Halcmd, ThreadPeriodRules) {
  Hal hal;
  Session s(hal);
  EXPECT_FALSE(s.run("loadrt threads name1=a period1=50000 name2=b period2=20000\n"));
  EXPECT_EQ(s.err(),
            "threads: thread 'b': period 20000 ns is shorter than the base period 50000 ns "
            "(create threads fastest first)\ntest.hal:1: insmod for threads failed, returned -1\n");
  EXPECT_TRUE(hal.threads().empty()) << "a failed loadrt leaves nothing behind";
  s.clear();
  EXPECT_TRUE(s.run("setexact_for_test_suite_only\nloadrt threads name1=t period1=1000\n")) << s.err();
  EXPECT_EQ(s.err(), "test.hal:1: Warning: HAL_LIB: HAL will pretend that the exact base period requested is possible.\n"
                     "This mode is not suitable for running real hardware.\n");
  s.clear();
  EXPECT_FALSE(s.run("setexact_for_test_suite_only\n"));
  EXPECT_EQ(s.err(), "test.hal:1: HAL_LIB: Cannot run 'setexact' after a thread has been created\n");
}

TEST(Halcmd, VirtualCyclesRunFunctionsAndRecordTimes) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=fast period1=100000 name2=slow period2=400000\n"
                    "loadrt charge_pump\nloadrt siggen\naddf charge-pump fast\naddf siggen.0.update slow\n"))
      << s.err();
  ASSERT_TRUE(hal.run_virtual(8).ok());
  EXPECT_EQ(*hal.get_pin_or_param("fast.threadbeat"), "8");
  EXPECT_EQ(*hal.get_pin_or_param("slow.threadbeat"), "2");
  EXPECT_EQ(*hal.get_pin_or_param("charge-pump.out"), "FALSE");  // 8 toggles
  ASSERT_TRUE(hal.run_virtual(4).ok());
  EXPECT_EQ(*hal.get_pin_or_param("slow.threadbeat"), "3");
  EXPECT_EQ(*hal.get_pin_or_param("charge-pump.out-4"), "TRUE");  // 12 calls: 0b1100
}

TEST(Halcmd, SourceReportsTheSourcedFilesLine) {
  Hal hal;
  Session s(hal);
  const std::string path = ::testing::TempDir() + "/hal_source_test.hal";
  {
    std::ofstream f(path);
    f << "loadrt not\n\nsetp not.0.in what\nsetp not.0.in 1\n";
  }
  // As halcmd's: the sourced file's name and line, no line for `source` itself, and the sourced file stops at
  // its first error even with -k (the file that sourced it goes on).
  s.cmd().set_keep_going(true);
  EXPECT_FALSE(s.run("source " + path + "\ngetp not.0.in\nsource /nonexistent/x.hal\n"));
  EXPECT_EQ(s.err(), path + ":3: value 'what' invalid for bit\n" + path + ":3: setp failed\n"
                     "Could not open hal file '/nonexistent/x.hal': No such file or directory\n");
  EXPECT_EQ(s.out(), "FALSE\n");
  EXPECT_EQ(s.cmd().error_count(), 3) << "the sourced line, the source line, the missing file";
}

TEST(Halcmd, ScriptModeDropsTitlesAndPacksFields) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=fast period1=100000 name2=slow period2=1000000\nloadrt lowpass\n"
                    "loadrt conv_u32_s32\naddf lowpass.0 slow\naddf conv-u32-s32.0 slow\n"
                    "net f lowpass.0.out => lowpass.0.in\nsetp lowpass.0.gain 0.5\nsetp conv-u32-s32.0.in 0x10\n"
                    "alias pin lowpass.0.load ld\n"))
      << s.err();
  s.clear();
  s.cmd().set_script_mode(true);
  ASSERT_TRUE(s.run("show pin lowpass.0.o\nshow pin conv-u32-s32.0.in\nshow sig\nshow param lowpass.0.gain\n"
                    "show alias\nshow thread\ngetp conv-u32-s32.0.in\n"))
      << s.err();
  EXPECT_EQ(s.out(),
            "lowpass float OUT 0 lowpass.0.out ==> f\n"
            "\n"
            "conv_u32_s32 u32   IN 16 conv-u32-s32.0.in\n"
            "\n"
            "float  0  f ==> lowpass.0.in <== lowpass.0.out\n"
            "\n"
            "lowpass float RW 0.5 lowpass.0.gain\n"
            "\n"
            " ld  lowpass.0.load\n"
            "\n"
            "\n"
            "1000000 YES slow 0 0 lowpass.0 conv-u32-s32.0\n"
            "100000 YES fast 0 0\n"
            "\n"
            "16\n");
}

TEST(Halcmd, EchoQuietAndVerbose) {
  Hal hal;
  Session s(hal);
  s.cmd().set_echo(true);
  ASSERT_TRUE(s.run("loadrt not # one\nsetp not.0.in \\\n  1\nunecho\ngetp not.0.in\necho\n")) << s.err();
  // As halcmd's: each line (its comment removed) on stderr with the line it ends on, until unecho; the
  // echo commands say so on stdout.
  EXPECT_EQ(s.err(), "(1)<echo>: loadrt not \n(3)<echo>: setp not.0.in   1\n(4)<echo>: unecho\n") << "echo until unecho";
  EXPECT_EQ(s.out(), "Echo off\nTRUE\nEcho on\n");
  s.cmd().set_echo(false);
  s.clear();
  s.cmd().set_quiet(true);
  EXPECT_FALSE(s.run("setp not.0.in maybe\naddf nofunc t\nshow pin\n"));
  // -Q, as halcmd's: the HAL library's lines and show's output go; halcmd's own lines stay.
  EXPECT_EQ(s.err(), "test.hal:1: value 'maybe' invalid for bit\ntest.hal:1: setp failed\n");
  EXPECT_EQ(s.out(), "");
  s.clear();
  s.cmd().set_keep_going(true);
  EXPECT_FALSE(s.run("addf nofunc t\nshow pin not.0.out\n"));
  EXPECT_EQ(s.err(), "test.hal:1: addf failed\n");
  EXPECT_EQ(s.out(), "");
  EXPECT_EQ(s.cmd().error_count(), 2) << "the errors count (the first run stopped at its first)";
  s.cmd().set_keep_going(false);
  s.clear();
  s.cmd().set_quiet(false);
  s.cmd().set_verbose(true);
  ASSERT_TRUE(s.run("setp not.0.in 0\n\n# nothing\nnet n not.0.out\n")) << s.err();
  EXPECT_EQ(s.err(), "test.hal:1: ok: setp not.0.in 0\ntest.hal:4: ok: net n not.0.out\n");
}

// A command given on the command line (rtstep hal COMMAND ARGS...) is reported where halcmd reports it.
TEST(Halcmd, OneShotCommandsReportAtCommandlineZero) {
  Hal hal;
  Session s(hal);
  const std::vector<std::string> addf{"addf", "nofunc", "t"};
  EXPECT_FALSE(s.cmd().run_command(addf));
  EXPECT_EQ(s.err(), "HAL: ERROR: function 'nofunc' not found\n<commandline>:0: addf failed\n");
  s.clear();
  const std::vector<std::string> show{"show", "comp"};
  EXPECT_TRUE(s.cmd().run_command(show));
  EXPECT_EQ(s.err(), "");
  EXPECT_EQ(s.cmd().error_count(), 1);
}

// As LinuxCNC's: start without threads is no error (nothing runs yet); threads created later start at the next.
TEST(Halcmd, StartWithoutThreadsIsNoError) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("start\n")) << s.err();
  EXPECT_TRUE(hal.running());
  EXPECT_FALSE(hal.threads_started());
  ASSERT_TRUE(s.run("newthread t 1000000\nstop\n")) << s.err();
  EXPECT_EQ(hal.threads().size(), 1U);
}

// halcmd 2.9's newthread: a thread without the threads component, with its pseudo-component's pins.
TEST(Halcmd, NewthreadCreatesAThread) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("newthread fast 100000\nnewthread slow 1000000 fp\nloadrt and2\naddf and2.0 slow\n")) << s.err();
  ASSERT_EQ(hal.threads().size(), 2U);
  EXPECT_EQ(hal.threads()[1]->period_ns(), 1'000'000);
  EXPECT_NE(hal.find_component("__fast"), nullptr);
  EXPECT_TRUE(hal.get_pin_or_param("fast.threadbeat").ok());
  EXPECT_FALSE(s.run("newthread bad 12x\n"));
  EXPECT_EQ(s.err(), "test.hal:1: newthread: period '12x' is not a positive number of ns\n");
}

}  // namespace
}  // namespace rtstep::hal
