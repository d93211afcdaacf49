// The latency SVG (rt/latency_plot.hpp) says what its overflow bar holds, marks p99, p99.9 and the maximum,
// and shows the verdict bands (issue 19, item 7).
#include <regex>

#include <gtest/gtest.h>

#include "rt/latency_plot.hpp"

namespace rtstep::rt {
namespace {

TEST(LatencySvg, LabelsTheOverflowTheQuantilesAndTheVerdictBands) {
  LatencyHistogram h;
  for (int i = 0; i < 100'000; ++i) h.record(3'000 + (i % 7) * 1'000);  // 3..9 us
  for (int i = 0; i < 40; ++i) h.record(60'000);                        // a few at 60 us
  h.record(1'400'000);                                                  // the 1.4 ms maximum
  const auto snapshot = h.snapshot();
  const PlotSeries series[] = {{"base", &snapshot}};
  const std::string svg = histogram_svg(series);
  const DisplayBins bins = display_bins(snapshot, 60);
  ASSERT_GT(bins.overflow, 0u) << "the maximum is beyond the binned range";
  EXPECT_TRUE(std::regex_search(svg, std::regex("red bar: " + std::to_string(bins.overflow) +
                                                " sample\\(s\\) at [0-9.]+ us or more \\(max 14[0-9][0-9](\\.[0-9]+)? us\\)")))
      << svg;
  for (const char* mark : {">p99 ", ">p99.9 ", ">max "}) EXPECT_NE(svg.find(mark), std::string::npos) << mark;
  EXPECT_NE(svg.find(">excellent<"), std::string::npos);
  EXPECT_NE(svg.find("class=\"band\""), std::string::npos);
  EXPECT_NE(svg.find("verdict bands"), std::string::npos);
}

}  // namespace
}  // namespace rtstep::rt
