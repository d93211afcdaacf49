// Linking rules and their messages (LinuxCNC's hal_link semantics).
#include <gtest/gtest.h>

#include <vector>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::add_probe;

std::string error_of(const Status& st) { return st.ok() ? "(ok)" : st.error().message; }

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
  const std::vector<std::string> pins{"probe.fout", "probe.fin", "probe.fin2"};
  ASSERT_TRUE(hal.net("s", pins).ok());
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
  const std::vector<std::string> pins{"probe.fio", "probe.fio2", "probe.fin"};
  ASSERT_TRUE(hal.net("bus", pins).ok());
  EXPECT_EQ(p.fio2.get(), 5.0);
  EXPECT_EQ(p.fin.get(), 5.0);
  p.fio2.set(8.0);
  EXPECT_EQ(p.fio.get(), 8.0);
}

TEST(Link, UnlinkLeavesThePinHoldingTheLastValue) {
  Hal hal;
  auto& p = add_probe(hal);
  const std::vector<std::string> pins{"probe.fout", "probe.fin"};
  ASSERT_TRUE(hal.net("s", pins).ok());
  p.fout.set(12.5);
  ASSERT_TRUE(hal.unlink("probe.fin").ok());
  EXPECT_EQ(p.fin.get(), 12.5);
  p.fout.set(1.0);
  EXPECT_EQ(p.fin.get(), 12.5);  // no longer follows
  ASSERT_TRUE(hal.delete_signal("s").ok());
  EXPECT_EQ(p.fout.get(), 1.0);
  EXPECT_TRUE(hal.signals().empty());
}

TEST(Link, RefusesASecondWriter) {
  Hal hal;
  add_probe(hal);
  const std::vector<std::string> a{"probe.fout", "probe.fin"};
  ASSERT_TRUE(hal.net("s", a).ok());
  const std::vector<std::string> b{"probe.fout2"};
  EXPECT_EQ(error_of(hal.net("s", b)), "Signal 's' can not add OUT pin 'probe.fout2', it already has OUT pin 'probe.fout'");
  EXPECT_EQ(error_of(hal.link("probe.fio", "s")),
            "Signal 's' can not add I/O pin 'probe.fio', it already has OUT pin 'probe.fout'");
}

TEST(Link, RefusesAnOutPinOnASignalWithIoPins) {
  Hal hal;
  add_probe(hal);
  const std::vector<std::string> a{"probe.fio"};
  ASSERT_TRUE(hal.net("s", a).ok());
  EXPECT_EQ(error_of(hal.link("probe.fout", "s")),
            "Signal 's' can not add OUT pin 'probe.fout', it already has I/O pin 'probe.fio'");
}

TEST(Link, RefusesTypeMismatchAndPinsOnAnotherSignal) {
  Hal hal;
  add_probe(hal);
  const std::vector<std::string> a{"probe.fout", "probe.bin"};
  EXPECT_EQ(error_of(hal.net("s", a)), "Signal 's' of type 'float' cannot add pin 'probe.bin' of type 'bit'");
  EXPECT_TRUE(hal.signals().empty()) << "net changes nothing when a pin is refused";
  const std::vector<std::string> b{"probe.fin"};
  ASSERT_TRUE(hal.net("s1", b).ok());
  EXPECT_EQ(error_of(hal.net("s2", b)), "Pin 'probe.fin' was already linked to signal 's1'");
  EXPECT_TRUE(hal.net("s1", b).ok()) << "already on this signal: fine";
}

TEST(Link, NetPreflightsTheWholeLine) {
  Hal hal;
  auto& p = add_probe(hal);
  const std::vector<std::string> pins{"probe.fin", "probe.fout", "probe.fout2"};
  EXPECT_EQ(error_of(hal.net("s", pins)),
            "Signal 's' can not add OUT pin 'probe.fout2', it already has OUT pin 'probe.fout'");
  EXPECT_TRUE(hal.signals().empty());
  EXPECT_EQ(p.fin.get(), 1.0);
  EXPECT_EQ(error_of(hal.net("probe.fin", pins)),
            "Signal name 'probe.fin' must not be the same as a pin.  Did you omit the signal name?");
  EXPECT_EQ(error_of(hal.net("s", {})), "'net' requires at least one pin, none given");
  const std::vector<std::string> missing{"probe.nope"};
  EXPECT_EQ(error_of(hal.net("s", missing)), "Pin 'probe.nope' does not exist");
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
  EXPECT_EQ(error_of(hal.set_pin_or_param("probe.fin", "x")), "setp 'probe.fin': value 'x' invalid for float");
  const std::vector<std::string> in{"probe.fin"};
  ASSERT_TRUE(hal.net("s", in).ok());
  EXPECT_EQ(error_of(hal.set_pin_or_param("probe.fin", "1")),
            "pin 'probe.fin' is connected to a signal");
  EXPECT_TRUE(hal.set_signal("s", "7").ok());
  EXPECT_EQ(p.fin.get(), 7.0);
  ASSERT_TRUE(hal.link("probe.fout", "s").ok());
  EXPECT_EQ(error_of(hal.set_signal("s", "1")), "signal 's' already has writer(s)");
}

TEST(Link, NamesAreUnique) {
  Hal hal;
  add_probe(hal);
  EXPECT_FALSE(hal.add_component("probe").ok());
  EXPECT_TRUE(hal.new_signal("x", Type::kBit).ok());
  EXPECT_EQ(error_of(hal.new_signal("x", Type::kBit)), "duplicate signal 'x'");
  EXPECT_EQ(error_of(hal.delete_signal("y")), "Signal 'y' not found");
}

}  // namespace
}  // namespace rtstep::hal
