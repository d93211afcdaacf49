// Histogram drawing (see latency_plot.hpp).
#include "rt/latency_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <utility>

namespace rtstep::rt {

namespace {

int64_t nice_width(int64_t span_ns, std::size_t max_bins) {
  int64_t width = 1'000;
  for (int64_t decade = 1'000;; decade *= 10) {
    for (const int64_t m : {1, 2, 5}) {
      width = m * decade;
      if (width * static_cast<int64_t>(max_bins) > span_ns) return width;
    }
    if (decade > 1'000'000'000) return width;
  }
}

// Bar length in [0, full] for `count` on a log scale up to `top` (a single sample still shows).
int log_bar(uint64_t count, uint64_t top, int full) {
  if (count == 0 || top == 0) return 0;
  const double v = std::log10(static_cast<double>(count) + 1) / std::log10(static_cast<double>(top) + 1);
  return std::max(1, static_cast<int>(std::lround(v * full)));
}

std::string us(int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(ns) / 1e3);
  return text;
}

}  // namespace

DisplayBins display_bins(const LatencyHistogram::Snapshot& s, std::size_t max_bins) {
  DisplayBins bins;
  max_bins = std::max<std::size_t>(max_bins, 1);
  const int64_t top = s.count > 0 ? std::max<int64_t>(s.quantile(0.9999), 1) : 1;
  bins.width_ns = nice_width(top, max_bins);
  const auto n = static_cast<std::size_t>(std::min<int64_t>(top / bins.width_ns + 1, static_cast<int64_t>(max_bins)));
  bins.counts.assign(n, 0);
  for (std::size_t b = 0; b < s.buckets.size(); ++b) {
    if (s.buckets[b] == 0) continue;
    const int64_t upper = LatencyHistogram::bucket_upper(b);
    const int64_t index = upper == INT64_MAX ? INT64_MAX : upper / bins.width_ns;
    if (index < static_cast<int64_t>(n)) {
      bins.counts[static_cast<std::size_t>(index)] += s.buckets[b];
    } else {
      bins.overflow += s.buckets[b];
    }
  }
  return bins;
}

std::string histogram_text(const LatencyHistogram::Snapshot& s, std::size_t max_bins) {
  const DisplayBins bins = display_bins(s, max_bins);
  const uint64_t top = std::max(bins.overflow, *std::max_element(bins.counts.begin(), bins.counts.end()));
  std::string out;
  char line[160];
  for (std::size_t i = 0; i < bins.counts.size(); ++i) {
    const std::string from = us(static_cast<int64_t>(i) * bins.width_ns);
    std::snprintf(line, sizeof line, "%8s us | %10llu %s\n", from.c_str(), static_cast<unsigned long long>(bins.counts[i]),
                  std::string(static_cast<std::size_t>(log_bar(bins.counts[i], top, 50)), '#').c_str());
    out += line;
  }
  const std::string limit = ">=" + us(static_cast<int64_t>(bins.counts.size()) * bins.width_ns);
  std::snprintf(line, sizeof line, "%8s us | %10llu %s\n", limit.c_str(), static_cast<unsigned long long>(bins.overflow),
                std::string(static_cast<std::size_t>(log_bar(bins.overflow, top, 50)), '#').c_str());
  out += line;
  return out;
}

std::string histogram_svg(std::span<const PlotSeries> series) {
  constexpr int kWidth = 720, kPanel = 260, kLeft = 70, kRight = 20, kTop = 30, kBottom = 40;
  const int height = kPanel * static_cast<int>(series.size());
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
                    std::to_string(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (std::size_t p = 0; p < series.size(); ++p) {
    const DisplayBins bins = display_bins(*series[p].snapshot, 60);
    std::vector<uint64_t> counts = bins.counts;
    counts.push_back(bins.overflow);
    const uint64_t top = std::max<uint64_t>(1, *std::max_element(counts.begin(), counts.end()));
    const int y0 = static_cast<int>(p) * kPanel;
    const int plot_h = kPanel - kTop - kBottom;
    const int plot_w = kWidth - kLeft - kRight;
    const double bar_w = static_cast<double>(plot_w) / static_cast<double>(counts.size());
    const double decades = std::max(1.0, std::ceil(std::log10(static_cast<double>(top) + 1)));
    char buf[512];
    std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s: wake-up latency (count, log scale)</text>\n",
                  kLeft, y0 + 18, series[p].label.c_str());
    out += buf;
    for (int d = 0; d <= static_cast<int>(decades); ++d) {
      const int y = y0 + kTop + plot_h - static_cast<int>(plot_h * d / decades);
      std::snprintf(buf, sizeof buf,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%d\" "
                    "text-anchor=\"end\">1e%d</text>\n",
                    kLeft, y, kLeft + plot_w, y, kLeft - 6, y + 4, d);
      out += buf;
    }
    // The verdict bands behind the bars (latency.hpp: < 20 us excellent, 20-50 good, 50-100 servo only, worse
    // unusable), clipped to the binned range; the overflow bar is beyond it.
    const double binned_ns = static_cast<double>(bins.counts.size()) * static_cast<double>(bins.width_ns);
    const auto x_of = [&](double ns) {  // a latency's place; past the binned range: the overflow bar's middle
      return ns < binned_ns ? kLeft + bar_w * ns / static_cast<double>(bins.width_ns)
                            : kLeft + bar_w * (static_cast<double>(counts.size()) - 0.5);
    };
    struct Band {
      double from_ns, to_ns;
      const char* name;
      const char* colour;
    };
    const Band bands[] = {{0, 20e3, "excellent", "#e3f4e3"}, {20e3, 50e3, "good", "#eef6d8"},
                          {50e3, 100e3, "servo only", "#fbeed5"}, {100e3, 1e18, "unusable", "#f8dcdc"}};
    for (const Band& band : bands) {
      if (band.from_ns >= binned_ns) break;
      const double x1 = x_of(band.from_ns), x2 = x_of(std::min(band.to_ns, binned_ns - 1));
      std::snprintf(buf, sizeof buf,
                    "<rect class=\"band\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%d\" fill=\"#777\" font-size=\"10\">%s</text>\n",
                    x1, y0 + kTop, std::max(1.0, x2 - x1), plot_h, band.colour, x1 + 3, y0 + kTop + 11, band.name);
      out += buf;
    }
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (counts[i] == 0) continue;
      const double h = plot_h * std::log10(static_cast<double>(counts[i]) + 1) / decades;
      std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%llu</title></rect>\n",
                    kLeft + bar_w * static_cast<double>(i), y0 + kTop + plot_h - h, std::max(1.0, bar_w - 1), h,
                    i + 1 == counts.size() ? "#c33" : "#36c", static_cast<unsigned long long>(counts[i]));
      out += buf;
    }
    for (std::size_t i = 0; i <= bins.counts.size(); i += std::max<std::size_t>(1, bins.counts.size() / 6)) {
      std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                    kLeft + bar_w * static_cast<double>(i), y0 + kTop + plot_h + 16,
                    us(static_cast<int64_t>(i) * bins.width_ns).c_str());
      out += buf;
    }
    // The overflow bar says what it holds: the samples past the binned range, and the largest of them.
    const LatencyHistogram::Snapshot& snap = *series[p].snapshot;
    std::snprintf(buf, sizeof buf, "<text class=\"overflow\" x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#c33\">"
                  "red bar: %llu sample(s) at %s us or more (max %s us)</text>\n",
                  kLeft + plot_w, y0 + 18, static_cast<unsigned long long>(bins.overflow),
                  us(static_cast<int64_t>(binned_ns)).c_str(), us(snap.max_ns).c_str());
    out += buf;
    // p99, p99.9 and the maximum as labelled lines, so the figures the verdict rests on are on the picture.
    const std::pair<const char*, int64_t> marks[] = {
        {"p99", snap.quantile(0.99)}, {"p99.9", snap.quantile(0.999)}, {"max", snap.max_ns}};
    for (std::size_t m = 0; m < std::size(marks); ++m) {
      const double x = x_of(static_cast<double>(marks[m].second));
      std::snprintf(buf, sizeof buf,
                    "<line class=\"mark\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#222\" "
                    "stroke-dasharray=\"3 2\"/><text x=\"%.1f\" y=\"%d\" font-size=\"10\">%s %s us</text>\n",
                    x, y0 + kTop, x, y0 + kTop + plot_h, x + 3, y0 + kTop + 24 + 12 * static_cast<int>(m), marks[m].first,
                    us(marks[m].second).c_str());
      out += buf;
    }
    std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">wake-up latency (us); background: "
                  "verdict bands on the maximum</text>\n",
                  kLeft + plot_w / 2, y0 + kTop + plot_h + 32);
    out += buf;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace rtstep::rt
