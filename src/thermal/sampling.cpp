// Sampling cadence (see sampling.hpp).

#include "thermal/sampling.hpp"

namespace rtstep::thermal {

std::optional<Reading> Oversampler::add(double value) {
  sum_ += value;
  ++taken_;
  if (taken_ < count_) {
    next_ns_ += sample_ns_;
    return std::nullopt;
  }
  Reading r;
  r.time_ns = burst_ns_ + count_ * sample_ns_;
  r.value = sum_ / count_;
  // Next burst one report period after this one started, whatever the lateness of this one's samples.
  burst_ns_ += report_ns_;
  next_ns_ = burst_ns_;
  taken_ = 0;
  sum_ = 0;
  return r;
}

void Oversampler::catch_up(int64_t now_ns) noexcept {
  if (now_ns - next_ns_ <= report_ns_) return;
  // A partial burst that old is stale too: drop it.
  burst_ns_ = next_ns_ = now_ns;
  taken_ = 0;
  sum_ = 0;
}

void SensorPoller::add(uint32_t sensor, std::unique_ptr<SampleSource> source, Oversampler timing) {
  entries_.push_back(Entry{sensor, std::move(source), timing});
}

Status SensorPoller::poll(int64_t now_ns, std::vector<Reading>& out) {
  for (auto& e : entries_) {
    if (!e.source) continue;
    while (e.timing.due(now_ns)) {
      e.timing.catch_up(now_ns);
      auto sample = e.source->read(now_ns);
      if (!sample) return sample.error();
      if (auto report = e.timing.add(sample.value())) {
        report->sensor = e.sensor;
        out.push_back(*report);
      }
    }
  }
  return Ok{};
}

}  // namespace rtstep::thermal
