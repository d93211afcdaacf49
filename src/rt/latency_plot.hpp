#pragma once
// Drawing latency histograms for `rtstep latency`: display bins of equal width from a LatencyHistogram
// snapshot, as text (one row per bin) and as an SVG with log-scale counts. Non-real-time.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rt/histogram.hpp"

namespace rtstep::rt {

struct DisplayBins {
  int64_t width_ns = 1'000;            // every bin is [i*width, (i+1)*width)
  std::vector<uint64_t> counts;        // bins 0..n-1
  uint64_t overflow = 0;               // samples at or beyond counts.size() * width
};

// Bins of a "nice" width (1, 2, 5 x 10^k ns, at least 1 us) so that `max_bins` bins reach the 99.99th
// percentile; samples are placed by their histogram bucket's upper bound (within ~3 %).
DisplayBins display_bins(const LatencyHistogram::Snapshot& snapshot, std::size_t max_bins = 40);

struct PlotSeries {
  std::string label;
  const LatencyHistogram::Snapshot* snapshot = nullptr;
};

// Text: one row per bin, "   12 us |     3105 ####", bar lengths on a log scale.
std::string histogram_text(const LatencyHistogram::Snapshot& snapshot, std::size_t max_bins = 40);
// SVG: one panel per series, bars with log-scale counts, axes labelled in us.
std::string histogram_svg(std::span<const PlotSeries> series);

}  // namespace rtstep::rt
