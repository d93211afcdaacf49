#pragma once
// A test component with pins of every direction, and a Halcmd that records its output.
#include <sstream>
#include <string>

#include "hal/hal.hpp"
#include "hal/halcmd.hpp"

namespace rtstep::hal::testing {

struct Probe : Instance {
  Pin<double> fin, fin2, fout, fout2, fio, fio2;
  Pin<bool> bin, bout;
  Param<double> rw{2.5};
  Param<int32_t> ro{7};
};

// Adds component "probe" with pins probe.fin/fin2/fout/fout2/fio/fio2 (float), probe.bin/bout (bit),
// params probe.rw (float RW) and probe.ro (s32 RO).
inline Probe& add_probe(Hal& hal) {
  const int id = *hal.add_component("probe");
  auto& p = static_cast<Probe&>(*hal.own(id, std::make_unique<Probe>()));
  EXPECT_TRUE(hal.add_pin(id, "probe.fin", Dir::kIn, p.fin, 1.0).ok());
  EXPECT_TRUE(hal.add_pin(id, "probe.fin2", Dir::kIn, p.fin2, 2.0).ok());
  EXPECT_TRUE(hal.add_pin(id, "probe.fout", Dir::kOut, p.fout, 3.0).ok());
  EXPECT_TRUE(hal.add_pin(id, "probe.fout2", Dir::kOut, p.fout2, 4.0).ok());
  EXPECT_TRUE(hal.add_pin(id, "probe.fio", Dir::kIo, p.fio, 5.0).ok());
  EXPECT_TRUE(hal.add_pin(id, "probe.fio2", Dir::kIo, p.fio2, 6.0).ok());
  EXPECT_TRUE(hal.add_pin(id, "probe.bin", Dir::kIn, p.bin).ok());
  EXPECT_TRUE(hal.add_pin(id, "probe.bout", Dir::kOut, p.bout).ok());
  EXPECT_TRUE(hal.add_param(id, "probe.rw", ParamDir::kRw, p.rw).ok());
  EXPECT_TRUE(hal.add_param(id, "probe.ro", ParamDir::kRo, p.ro).ok());
  hal.ready(id);
  return p;
}

// Runs halcmd lines on a Hal; out() and err() hold what it printed.
class Session {
 public:
  explicit Session(Hal& hal) : cmd_(hal, out_, err_) {}
  bool run(const std::string& text, const std::string& name = "test.hal") {
    std::istringstream in(text);
    return cmd_.run_stream(in, name);
  }
  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }
  void clear() {
    out_.str("");
    err_.str("");
  }
  Halcmd& cmd() { return cmd_; }

 private:
  std::ostringstream out_, err_;
  Halcmd cmd_;
};

}  // namespace rtstep::hal::testing
