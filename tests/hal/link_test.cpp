// Linking rules and their messages (LinuxCNC's hal_link semantics).
#include <gtest/gtest.h>

#include <vector>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::add_probe;

std::string error_of(const Status& st) { return st.ok() ? "(ok)" : st.error().message; }

// Links each pin to `signal`, creating it with the first pin's type when it does not exist (a library-level
// `net` for the tests that check values, not messages).
void link_all(Hal& hal, const std::string& signal, const std::vector<std::string>& pins) {
  if (!hal.signals().contains(signal)) {
    ASSERT_TRUE(hal.new_signal(signal, hal.find_pin(pins.front())->type).ok());
  }
  for (const std::string& p : pins) ASSERT_TRUE(hal.link(p, signal).ok()) << p;
}

// Runs `text` through halcmd; returns what it printed on the error stream ("" when it succeeded).
std::string halcmd_errors(Hal& hal, const std::string& text) {
  testing::Session s(hal);
  s.run(text, "t.hal");
  return s.err();
}

TEST(Link, UnlinkedPinsPointAtTheirOwnValue) {
  Hal hal;
  auto& p = add_probe(hal);
  EXPECT_EQ(p.fin.get(), 1.0);
  p.fout.set(9.0);
  EXPECT_EQ(*hal.get_pin_or_param("probe.fout"), "9");
  EXPECT_EQ(p.fin.get(), 1.0);  // separate storage
}

TEST(Link, SignalCarriesTheWritersValueToReaders) {
  Hal hal;
  auto& p = add_probe(hal);
  link_all(hal, "s", {"probe.fout", "probe.fin", "probe.fin2"});
  EXPECT_EQ(p.fin.get(), 3.0);  // the writer seeded the signal
  EXPECT_EQ(p.fin2.get(), 3.0);
  p.fout.set(42.0);
  EXPECT_EQ(p.fin.get(), 42.0);
  EXPECT_EQ(p.fin2.get(), 42.0);
  EXPECT_EQ(*hal.get_signal("s"), "42");
}

TEST(Link, FirstPinSeedsAndLaterReadersTakeTheSignalValue) {
  Hal hal;
  auto& p = add_probe(hal);
  ASSERT_TRUE(hal.new_signal("s", Type::kFloat).ok());
  ASSERT_TRUE(hal.link("probe.fin", "s").ok());  // first pin: 1.0 seeds the signal
  EXPECT_EQ(*hal.get_signal("s"), "1");
  ASSERT_TRUE(hal.link("probe.fin2", "s").ok());  // a reader joining readers takes the signal value
  EXPECT_EQ(p.fin2.get(), 1.0);
  ASSERT_TRUE(hal.link("probe.fout", "s").ok());  // the first writer seeds even after readers
  EXPECT_EQ(p.fin.get(), 3.0);
  EXPECT_EQ(p.fin2.get(), 3.0);
}

TEST(Link, IoPinsShareASignalAndTheFirstSeeds) {
  Hal hal;
  auto& p = add_probe(hal);
  link_all(hal, "bus", {"probe.fio", "probe.fio2", "probe.fin"});
  EXPECT_EQ(p.fio2.get(), 5.0);
  EXPECT_EQ(p.fin.get(), 5.0);
  p.fio2.set(8.0);
  EXPECT_EQ(p.fio.get(), 8.0);
}

TEST(Link, UnlinkLeavesThePinHoldingTheLastValue) {
  Hal hal;
  auto& p = add_probe(hal);
  link_all(hal, "s", {"probe.fout", "probe.fin"});
  p.fout.set(12.5);
  ASSERT_TRUE(hal.unlink("probe.fin").ok());
  EXPECT_EQ(p.fin.get(), 12.5);
  p.fout.set(1.0);
  EXPECT_EQ(p.fin.get(), 12.5);  // no longer follows
  ASSERT_TRUE(hal.delete_signal("s").ok());
  EXPECT_EQ(p.fout.get(), 1.0);
  EXPECT_TRUE(hal.signals().empty());
}

// hal_link's rules and messages, in its order.
TEST(Link, LinkRefusesWithTheLibrarysMessages) {
  Hal hal;
  add_probe(hal);
  link_all(hal, "s", {"probe.fout", "probe.fin"});
  EXPECT_EQ(error_of(hal.link("probe.nope", "s")), "pin 'probe.nope' not found");
  EXPECT_EQ(error_of(hal.link("probe.fin2", "nosig")), "signal 'nosig' not found");
  EXPECT_EQ(error_of(hal.link("probe.fout2", "s")), "signal 's' already has output or I/O pin(s)");
  EXPECT_EQ(error_of(hal.link("probe.fio", "s")), "signal 's' already has output pin");
  EXPECT_EQ(error_of(hal.link("probe.bin", "s")), "type mismatch 'probe.bin' <- 's'");
  EXPECT_TRUE(hal.link("probe.fin", "s").ok()) << "already on this signal: fine";
  ASSERT_TRUE(hal.new_signal("t", Type::kFloat).ok());
  EXPECT_EQ(error_of(hal.link("probe.fin", "t")), "pin 'probe.fin' is linked to 's', cannot link to 't'");
  link_all(hal, "bus", {"probe.fio"});
  EXPECT_EQ(error_of(hal.link("probe.fout2", "bus")), "signal 'bus' already has output or I/O pin(s)");
  EXPECT_EQ(error_of(hal.unlink("probe.nope")), "pin 'probe.nope' not found");
}

// net on a signal that exists: halcmd's preflight refuses with its own texts and changes nothing.
TEST(Link, NetOnAnExistingSignalPreflights) {
  Hal hal;
  add_probe(hal);
  link_all(hal, "s", {"probe.fout", "probe.fin"});
  EXPECT_EQ(halcmd_errors(hal, "net s probe.fin2 probe.fout2\n"),
            "t.hal:1: Signal 's' can not add OUT pin 'probe.fout2', it already has OUT pin 'probe.fout'\n");
  EXPECT_EQ(hal.find_pin("probe.fin2")->signal, nullptr) << "the preflight changes nothing";
  EXPECT_EQ(halcmd_errors(hal, "net s probe.fio\n"),
            "t.hal:1: Signal 's' can not add I/O pin 'probe.fio', it already has OUT pin 'probe.fout'\n");
  EXPECT_EQ(halcmd_errors(hal, "net s probe.bin\n"),
            "t.hal:1: Signal 's' of type 'float' cannot add pin 'probe.bin' of type 'bit'\n");
  link_all(hal, "bus", {"probe.fio2", "probe.fio"});
  EXPECT_EQ(halcmd_errors(hal, "net bus probe.fout2\n"),
            "t.hal:1: Signal 'bus' can not add OUT pin 'probe.fout2', it already has I/O pin 'probe.fio2'\n");
  EXPECT_EQ(halcmd_errors(hal, "net s2 probe.fin\n"), "t.hal:1: Pin 'probe.fin' was already linked to signal 's'\n");
  EXPECT_EQ(halcmd_errors(hal, "net s probe.fin => probe.fin2\n"), "") << "already on this signal: fine";
  EXPECT_EQ(hal.find_pin("probe.fin2")->signal, hal.signals().at("s").get());
}

// net on a new signal, as LinuxCNC 2.9: only existence and other signals are preflighted; the pins are then
// linked in turn and the first refused link stops it, the pins before it staying linked.
TEST(Link, NetOnANewSignalLinksPinByPin) {
  Hal hal;
  auto& p = add_probe(hal);
  EXPECT_EQ(halcmd_errors(hal, "net s probe.fin probe.fout probe.fout2\n"),
            "HAL: ERROR: signal 's' already has output or I/O pin(s)\nt.hal:1: link failed\n");
  EXPECT_EQ(p.fin.get(), 3.0) << "probe.fin and probe.fout were linked before the refusal";
  EXPECT_EQ(hal.find_pin("probe.fout2")->signal, nullptr);
  EXPECT_EQ(halcmd_errors(hal, "net t probe.fin2 probe.bin\n"),
            "HAL: ERROR: type mismatch 'probe.bin' <- 't'\nt.hal:1: link failed\n");
  EXPECT_EQ(halcmd_errors(hal, "net probe.bout probe.bin\n"),
            "t.hal:1: Signal name 'probe.bout' must not be the same as a pin.  Did you omit the signal name?\n");
  EXPECT_EQ(halcmd_errors(hal, "net u\n"), "t.hal:1: 'net' requires at least one pin, none given\n");
  EXPECT_EQ(halcmd_errors(hal, "net\n"), "t.hal:1: net requires at least 1 arguments, 0 given\n");
  EXPECT_EQ(halcmd_errors(hal, "net u probe.nope\n"), "t.hal:1: Pin 'probe.nope' does not exist\n");
  EXPECT_FALSE(hal.signals().contains("u"));
}

TEST(Link, SetpAndSetsFollowTheWriteRules) {
  Hal hal;
  auto& p = add_probe(hal);
  EXPECT_TRUE(hal.set_pin_or_param("probe.fin", "2.5").ok());
  EXPECT_EQ(p.fin.get(), 2.5);
  EXPECT_EQ(error_of(hal.set_pin_or_param("probe.fout", "1")), "pin 'probe.fout' is not writable");
  EXPECT_TRUE(hal.set_pin_or_param("probe.rw", "0.5").ok());
  EXPECT_EQ(p.rw.get(), 0.5);
  EXPECT_EQ(error_of(hal.set_pin_or_param("probe.ro", "1")), "param 'probe.ro' is not writable");
  EXPECT_EQ(error_of(hal.set_pin_or_param("probe.fin", "x")), "value 'x' invalid for float\nsetp failed");
  EXPECT_EQ(error_of(hal.set_pin_or_param("probe.rw", "1.0mm")), "value '1.0mm' invalid for float\nsetp failed");
  link_all(hal, "s", {"probe.fin"});
  EXPECT_EQ(error_of(hal.set_pin_or_param("probe.fin", "1")),
            "pin 'probe.fin' is connected to a signal");
  EXPECT_TRUE(hal.set_signal("s", "7").ok());
  EXPECT_EQ(p.fin.get(), 7.0);
  EXPECT_EQ(error_of(hal.set_signal("s", "maybe")), "value 'maybe' invalid for float\nsets failed");
  ASSERT_TRUE(hal.link("probe.fout", "s").ok());
  EXPECT_EQ(error_of(hal.set_signal("s", "1")), "signal 's' already has writer(s)");
}

TEST(Link, NamesAreUnique) {
  Hal hal;
  add_probe(hal);
  EXPECT_FALSE(hal.add_component("probe").ok());
  EXPECT_TRUE(hal.new_signal("x", Type::kBit).ok());
  EXPECT_EQ(error_of(hal.new_signal("x", Type::kBit)), "duplicate signal 'x'");
  EXPECT_EQ(error_of(hal.delete_signal("y")), "signal 'y' not found");
  EXPECT_TRUE(hal.new_signal("probe.fin", Type::kBit).ok()) << "a signal may share a pin's name, as in LinuxCNC";
}

}  // namespace
}  // namespace rtstep::hal
