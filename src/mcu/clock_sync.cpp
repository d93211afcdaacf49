// ClockSync and PrintClock (clock_sync.hpp): Klipper's decaying regression of the MCU clock on host time,
// and a continuous print-time mapping that follows it.

#include "mcu/clock_sync.hpp"

#include <algorithm>
#include <cmath>

namespace rtstep::mcu {

namespace {

constexpr double kDecay = 1.0 / 30;                   // weight of each new sample
constexpr double kRttAge = 0.000010 / (60.0 * 60.0);  // the minimum round trip forgets 10 µs an hour
constexpr double kOutlierSigma2 = 25;                 // 5 standard deviations, squared
constexpr double kOutlierMinS = 0.000500;             // and at least 500 µs off
constexpr double kResetStddevS = 0.001;               // prediction stddev after a reset: 1 ms
constexpr double kLateWindowS = 10;                   // late samples are ignored for this long
constexpr double kSlowExtraS = 0.001;                 // a half round trip this much over the minimum is slow
constexpr int kMaxSlowInARow = 30;                    // then the minimum itself is taken to have changed
constexpr int kMaxBurstQueries = 3 * kBurstQueries;   // the burst ends after this many answers at most

double floor_clock(double c) { return std::max(0.0, std::floor(c)); }

}  // namespace

int64_t ClockEstimate::host_ns_at(double c) const noexcept {
  if (ticks_per_ns <= 0) return host_ns;
  return host_ns + std::llround((c - clock) / ticks_per_ns);
}

ClockSync::ClockSync(double nominal_hz) : nominal_hz_(nominal_hz), freq_(nominal_hz) {}

void ClockSync::start(uint32_t high, uint32_t clock, int64_t sent_ns) {
  epoch_ns_ = sent_ns;
  last_clock_ = (uint64_t{high} << 32) | clock;
  time_avg_ = 0;
  clock_avg_ = static_cast<double>(last_clock_);
  time_variance_ = clock_covariance_ = 0;
  prediction_variance_ = std::pow(kResetStddevS * nominal_hz_, 2);
  last_prediction_time_ = 0;
  min_half_rtt_s_ = 1e9;
  min_rtt_time_ = 0;
  freq_ = nominal_hz_;
  samples_ = rejected_ = slow_in_a_row_ = 0;
}

uint64_t ClockSync::extend(uint32_t clock32) const noexcept {
  const auto behind = static_cast<uint32_t>(static_cast<uint32_t>(last_clock_) - clock32);
  if (behind & 0x80000000u) return last_clock_ + (uint64_t{1} << 32) - behind;  // ahead of last_clock
  return last_clock_ - behind;
}

bool ClockSync::on_clock(uint32_t clock32, int64_t sent_ns, int64_t received_ns) {
  // Widen to 64 bits: a clock answer is never older than the last one.
  uint64_t clock = (last_clock_ & ~uint64_t{0xFFFFFFFF}) | clock32;
  if (clock < last_clock_) clock += uint64_t{1} << 32;
  last_clock_ = clock;
  if (sent_ns == 0) return true;
  const double sent = seconds(sent_ns), received = seconds(received_ns);
  const double c = static_cast<double>(clock);

  const double half_rtt = 0.5 * (received - sent);
  // Much faster than every answer so far: those were all slow (a busy start), and the fit built on them is
  // off by as much. Start it again from this one.
  if (samples_ > 0 && half_rtt + kSlowExtraS < min_half_rtt_s_) samples_ = 0;
  // A slow round trip (the request or the answer waited somewhere: a busy host or MCU) leaves the moment
  // the MCU read its clock uncertain by that much: such samples are not fitted, unless they keep coming
  // (the link itself got slower).
  if (half_rtt > min_half_rtt_s_ + kSlowExtraS && ++slow_in_a_row_ <= kMaxSlowInARow) {
    ++rejected_;
    return false;
  }
  slow_in_a_row_ = 0;
  if (half_rtt < min_half_rtt_s_ + (sent - min_rtt_time_) * kRttAge || half_rtt > min_half_rtt_s_ + kSlowExtraS) {
    min_half_rtt_s_ = half_rtt;
    min_rtt_time_ = sent;
  }
  // The first sample starts the fit; the uptime answer only gave the clock's high bits (its round trip is
  // unknown, and a delayed uptime answer would tilt the first seconds of the fit).
  if (samples_ == 0) {
    time_avg_ = sent;
    clock_avg_ = c;
    time_variance_ = clock_covariance_ = 0;
    freq_ = nominal_hz_;
    last_prediction_time_ = sent;
    ++samples_;
    return true;
  }
  // Outliers: a late answer (delayed on the way) says nothing about the clock and is dropped; a sample off
  // the other way, or predictions failing for long, means the fit is wrong: widen it and take the sample.
  // During the burst the fit is young: nothing counts as a late answer (an outlier resets the variance).
  if (samples_ < kBurstQueries) last_prediction_time_ = -1e9;
  const double expected = (sent - time_avg_) * freq_ + clock_avg_;
  const double diff2 = (c - expected) * (c - expected);
  if (diff2 > kOutlierSigma2 * prediction_variance_ && diff2 > std::pow(kOutlierMinS * nominal_hz_, 2)) {
    if (c > expected && sent < last_prediction_time_ + kLateWindowS) {
      ++rejected_;
      return false;
    }
    prediction_variance_ = std::pow(kResetStddevS * nominal_hz_, 2);
  } else {
    last_prediction_time_ = sent;
    prediction_variance_ = (1 - kDecay) * (prediction_variance_ + diff2 * kDecay);
  }
  // Exponentially weighted means, variance and covariance; the slope is the frequency.
  const double dt = sent - time_avg_;
  time_avg_ += kDecay * dt;
  time_variance_ = (1 - kDecay) * (time_variance_ + dt * dt * kDecay);
  const double dc = c - clock_avg_;
  clock_avg_ += kDecay * dc;
  clock_covariance_ = (1 - kDecay) * (clock_covariance_ + dt * dc * kDecay);
  if (time_variance_ > 0) freq_ = clock_covariance_ / time_variance_;
  ++samples_;
  return true;
}

int64_t ClockSync::next_query_ns(int64_t last_query_ns) const noexcept {
  const bool burst = samples_ < kBurstQueries && samples_ + rejected_ < kMaxBurstQueries;
  if (last_query_ns == 0) return epoch_ns_ + kBurstIntervalNs;  // the first, a burst interval after uptime
  return last_query_ns + (burst ? kBurstIntervalNs : kQueryIntervalNs);
}

double ClockSync::prediction_stddev_ticks() const noexcept { return std::sqrt(prediction_variance_); }

ClockEstimate ClockSync::estimate() const noexcept {
  // The MCU read its clock about half a round trip after the request left.
  const double half_rtt = min_half_rtt_s_ < 1e8 ? min_half_rtt_s_ : 0;
  const double t_ns = (time_avg_ + half_rtt) * 1e9;
  const auto offset = static_cast<int64_t>(std::floor(t_ns));
  ClockEstimate e;
  e.host_ns = epoch_ns_ + offset;
  e.ticks_per_ns = freq_ * 1e-9;
  e.clock = clock_avg_ - (t_ns - static_cast<double>(offset)) * e.ticks_per_ns;
  return e;
}

uint64_t ClockSync::clock_at(int64_t host_ns) const noexcept {
  return static_cast<uint64_t>(floor_clock(estimate().clock_at(host_ns)));
}

PrintClock::PrintClock(const ClockEstimate& estimate)
    : base_ns_(estimate.host_ns), base_clock_(estimate.clock), ticks_per_ns_(estimate.ticks_per_ns) {}

void PrintClock::calibrate(int64_t print_ns, int64_t now_ns, const ClockEstimate& estimate) {
  const int64_t t1 = std::max(print_ns, now_ns);
  const double c1 = base_clock_ + static_cast<double>(t1 - base_ns_) * ticks_per_ns_;
  const int64_t t2 = t1 + kCalibrateAheadNs;
  const double slope = (estimate.clock_at(t2) - c1) / static_cast<double>(kCalibrateAheadNs);
  if (!(slope > 0)) return;  // an estimate behind what is committed: keep the mapping rather than go back
  base_ns_ = t1;
  base_clock_ = c1;
  ticks_per_ns_ = slope;
}

uint64_t PrintClock::clock_at(int64_t print_ns) const noexcept {
  return static_cast<uint64_t>(floor_clock(base_clock_ + static_cast<double>(print_ns - base_ns_) * ticks_per_ns_));
}

int64_t PrintClock::print_ns_at(uint64_t clock) const noexcept {
  return base_ns_ + std::llround((static_cast<double>(clock) - base_clock_) / ticks_per_ns_);
}

}  // namespace rtstep::mcu
