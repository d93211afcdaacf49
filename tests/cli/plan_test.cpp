// `rtstep plan` on generated prints: totals checked against an independent model of the G-code, the
// steps CSV, and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "scratch_dir.hpp"
#include "machine/host_pipeline.hpp"

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;
const std::string kExampleConfig = kSource + "/examples/printer.cfg";

// The zig-zag print of /work/shared/bench/gen_zigzag.py (same lines), plus the model's totals: for every
// stepper, the sum over moves of |count(end) - count(start)| with count(p) = floor(p * steps_per_mm + 0.5),
// positions kept as exact integers (1e-3 mm for X/Y/Z, 1e-5 mm for E) so the model shares no arithmetic
// with the pipeline.
struct Zigzag {
  std::string text;
  uint64_t steps[4] = {0, 0, 0, 0};
  int64_t pos[4] = {0, 0, 0, 0};  // X/Y/Z in um, E in 10 nm
  double spm[4] = {80, 80, 400, 3200 / 33.5};
  double unit[4] = {1e-3, 1e-3, 1e-3, 1e-5};

  int64_t count(int a, int64_t p) const { return static_cast<int64_t>(std::floor(p * unit[a] * spm[a] + 0.5)); }
  void move_to(int a, int64_t p) {
    steps[a] += static_cast<uint64_t>(std::llabs(count(a, p) - count(a, pos[a])));
    pos[a] = p;
  }
  void line(const std::string& l) { text += l + "\n"; }
  // Python's "%.3f" of a value that is an exact multiple of 0.001 (0.4 steps are exact in um).
  static std::string mm(int64_t um) { return fmt::format("{}.{:03d}", um / 1000, um % 1000); }

  explicit Zigzag(int n) {
    line(fmt::format("; zigzag test, {} G1 moves", n));
    for (const char* l : {"G28", "G90", "M83"}) line(l);
    line("G1 Z0.3 F600");
    move_to(2, 300);
    line("G1 X10 Y10 F6000");
    move_to(0, 10000);
    move_to(1, 10000);
    int64_t y = 10000;
    bool right = true;
    int moves = 0;
    const auto g1 = [&](int64_t x, int64_t e_10nm) {
      // E_PER_MM 0.033: 180 mm -> 5.94000, 0.4 mm -> 0.01320
      line(fmt::format("G1 X{} Y{} E{}.{:05d} F6000", mm(x), mm(y), e_10nm / 100000, e_10nm % 100000));
      move_to(0, x);
      move_to(1, y);
      move_to(3, pos[3] + e_10nm);
      ++moves;
    };
    while (moves < n) {
      const int64_t x = right ? 190000 : 10000;
      g1(x, 594000);
      if (moves >= n) break;
      y += 400;
      if (y > 190000) {
        y = 10000;
        const int64_t z = 300 + 200 * (moves / 900 + 1);
        line(fmt::format("G1 Z{} F600", mm(z)));
        move_to(2, z);
      }
      g1(x, 1320);
      right = !right;
    }
    line("M400");
  }
};

class PlanTest : public ScratchDirTest {
 protected:
  PlanTest() : ScratchDirTest("rtstep-plan") {}
  machine::PlanSummary plan(const std::string& gcode, const std::string& csv = "") {
    machine::PlanOptions options;
    options.config_path = kExampleConfig;
    options.gcode_path = gcode;
    options.steps_csv_dir = csv;
    return machine::plan_job(options, log_);
  }
  std::ostringstream log_;
};

TEST_F(PlanTest, ZigzagTotalsMatchAnIndependentModel) {
  const Zigzag zz(2000);
  const machine::PlanSummary s = plan(write("zz.gcode", zz.text));
  ASSERT_EQ(s.exit_code, 0) << s.error;
  ASSERT_EQ(s.steppers.size(), 4u);
  for (int a = 0; a < 4; ++a) {
    EXPECT_EQ(s.steppers[static_cast<std::size_t>(a)].steps, zz.steps[a]) << s.steppers[static_cast<std::size_t>(a)].name;
    EXPECT_EQ(s.steppers[static_cast<std::size_t>(a)].position, zz.count(a, zz.pos[a]));
    EXPECT_LE(s.steppers[static_cast<std::size_t>(a)].max_error_ns, 1000);
  }
  // The numbers the 20k file scales from (the 20k totals are in docs/PERFORMANCE.md): X 180 mm per long move.
  EXPECT_EQ(zz.steps[0], 1000u * 14400 + 800);
  EXPECT_EQ(s.moves, 2000u + 2 + 2);  // the two setup moves and two layer changes
  EXPECT_GT(s.total_steps() / s.total_segments(), 100u);  // compression ratio, steps per segment
  const auto json = s.to_json();
  EXPECT_EQ(json["steps"], s.total_steps());
  EXPECT_TRUE(json["ok"]);
}

TEST_F(PlanTest, StepsCsvHoldsEveryExactStep) {
  const machine::PlanSummary s = plan(write("short.gcode", "G28\nG1 X5 Y3 F6000\nG1 X0\nM83\nG1 E1 F600\n"),
                             (dir_ / "csv").string());
  ASSERT_EQ(s.exit_code, 0) << s.error;
  std::ifstream x(dir_ / "csv" / "stepper_x.csv");
  std::string header, row, last;
  std::getline(x, header);
  EXPECT_EQ(header, "time_ns,dir,position");
  int rows = 0;
  int64_t previous = -1;
  while (std::getline(x, row)) {
    const int64_t t = std::stoll(row.substr(0, row.find(',')));
    EXPECT_GT(t, previous);
    previous = t;
    last = row;
    ++rows;
  }
  EXPECT_EQ(rows, 800);
  EXPECT_EQ(last.substr(last.rfind(',') + 1), "0");  // back at the endstop
  std::ifstream e(dir_ / "csv" / "extruder.csv");
  int e_rows = -1;
  while (std::getline(e, row)) ++e_rows;
  EXPECT_EQ(static_cast<uint64_t>(e_rows), s.steppers[3].steps);
}

TEST_F(PlanTest, ErrorsNameTheLineAndTheAcceptedMotionStillCounts) {
  const machine::PlanSummary s = plan(write("bad.gcode", "G28\nG1 X10 F6000\nG1 X251\nG1 X20\n"));
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(s.error, (dir_ / "bad.gcode").string() + ":3: move out of range: X=251.000 (max 235.000)");
  EXPECT_EQ(s.steppers[0].position, 800);  // line 2 ran, nothing of line 3
  const machine::PlanSummary missing = plan((dir_ / "none.gcode").string());
  EXPECT_EQ(missing.exit_code, 1);
}

}  // namespace
}  // namespace rtstep::cli
