// The latency test (rt/latency.hpp) and its plots (rt/latency_plot.hpp). Behaviour only: the figures of
// this machine are never asserted.
#include "rt/latency.hpp"

#include <gtest/gtest.h>

#include "rt/latency_plot.hpp"
#include "rt/load.hpp"

namespace rtstep::rt {
namespace {

TEST(LatencyBands, ClassicBoundaries) {
  EXPECT_EQ(latency_band(19'999), LatencyBand::kExcellent);
  EXPECT_EQ(latency_band(20'000), LatencyBand::kGood);
  EXPECT_EQ(latency_band(49'999), LatencyBand::kGood);
  EXPECT_EQ(latency_band(50'000), LatencyBand::kServoOnly);
  EXPECT_EQ(latency_band(99'999), LatencyBand::kServoOnly);
  EXPECT_EQ(latency_band(100'000), LatencyBand::kUnusable);
  EXPECT_STREQ(band_name(LatencyBand::kServoOnly), "servo only");
}

TEST(LatencyAdvice, StepRateAndSlackFromTheBaseMaximum) {
  const StepAdvice a = step_advice(10'000);  // 10 us
  EXPECT_EQ(a.min_base_period_ns, 20'000);
  EXPECT_EQ(a.max_step_rate_hz, 5'000);  // 1 / (10 x 20 us)
  EXPECT_EQ(a.slack_ns, 20'000);         // 12.5 us rounded up to 10 us steps
  EXPECT_EQ(step_advice(2'000).slack_ns, 10'000);  // never below 10 us
  EXPECT_EQ(step_advice(50'000'000).slack_ns, 10'000'000);  // [rt] slack's maximum
}

LatencyTestConfig short_test() {
  LatencyTestConfig c;
  c.threads = {{"base", 500'000, 30, {}}, {"servo", 1'000'000, 20, {}}};
  c.duration_ns = 200'000'000;
  c.lock_memory = false;
  c.allow_non_realtime = true;
  return c;
}

TEST(LatencyTest, MeasuresEveryThreadAndJudgesIt) {
  const auto r = run_latency_test(short_test());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->threads.size(), 2U);
  for (const auto& t : r->threads) {
    EXPECT_GT(t.stats.latency.count, 20U) << t.config.label;
    EXPECT_EQ(t.stats.latency.count, t.stats.cycles);
    EXPECT_LE(t.stats.latency.min_ns, t.stats.latency.max_ns);
    EXPECT_EQ(t.band, latency_band(t.stats.latency.max_ns));
    EXPECT_EQ(t.overrun.empty(), t.stats.overruns == 0);
  }
  EXPECT_EQ(r->threads[0].config.label, "base");
  EXPECT_EQ(r->advice.min_base_period_ns, step_advice(r->threads[0].stats.latency.max_ns).min_base_period_ns);
  EXPECT_GE(r->duration_ns, 200'000'000);
  EXPECT_EQ(r->load, "none");
}

TEST(LatencyTest, RunsBesideABackgroundLoad) {
  LatencyTestConfig c = short_test();
  c.load.cpu = c.load.memory = c.load.io = true;
  c.load.io_dir = ::testing::TempDir();
  const auto r = run_latency_test(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(r->load.find("cpu x"), std::string::npos);
  EXPECT_NE(r->load.find("+memory+io"), std::string::npos);
}

TEST(BackgroundLoad, DoesWorkUntilStopped) {
  BackgroundLoad load;
  LoadConfig c;
  c.cpu = true;
  ASSERT_TRUE(load.start(c).ok());
  while (load.iterations() < 3) {
  }
  load.stop();
  const uint64_t done = load.iterations();
  EXPECT_EQ(load.iterations(), done) << "no work after stop";
}

TEST(LatencyTest, BadThreadSetsAreErrors) {
  LatencyTestConfig c = short_test();
  c.threads[1].period_ns = 1'200'000;
  c.threads[0].period_ns = 500'000;
  EXPECT_EQ(run_latency_test(c).error().message,
            "latency: servo: period 1.20 ms is not a whole multiple of base's 500.0 us");
  c = short_test();
  c.threads[1].priority = 40;
  EXPECT_NE(run_latency_test(c).error().message.find("must have a higher priority"), std::string::npos);
  c = short_test();
  c.threads.clear();
  EXPECT_EQ(run_latency_test(c).error().message, "latency: no measuring thread");
}

TEST(LatencyPlot, BinsTextAndSvg) {
  LatencyHistogram h;
  for (int i = 0; i < 20'000; ++i) h.record(5'000 + i % 1'000);  // 5-6 us
  for (int i = 0; i < 10; ++i) h.record(40'000);                 // 40 us
  h.record(900'000);  // one outlier, beyond the 99.99th percentile: the overflow row
  const auto s = h.snapshot();
  const DisplayBins bins = display_bins(s, 40);
  EXPECT_EQ(bins.width_ns, 2'000);  // 40 bins of 1 us would not reach the 99.99th percentile (~41 us)
  uint64_t total = bins.overflow;
  for (const auto c : bins.counts) total += c;
  EXPECT_EQ(total, 20'011U);
  EXPECT_EQ(bins.overflow, 1U);
  const std::string text = histogram_text(s, 40);
  EXPECT_NE(text.find("       4 us |"), std::string::npos) << text;
  EXPECT_NE(text.find("      40 us |         10 #"), std::string::npos) << text;
  EXPECT_NE(text.find("    >=42 us |          1 #"), std::string::npos) << text;
  const PlotSeries series[] = {{"base", &s}};
  const std::string svg = histogram_svg(series);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0U);
  EXPECT_NE(svg.find("base: wake-up latency (count, log scale)"), std::string::npos);
  EXPECT_NE(svg.find("<title>10</title>"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace rtstep::rt
