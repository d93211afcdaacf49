#pragma once
// ClockSync: the estimate of an MCU's clock against the host's CLOCK_MONOTONIC, as Klipper's host keeps it
// (klippy/clocksync.py), fed by samples the caller collects.
//
// Protocol around it (the caller's part): at connect, `get_uptime` → `uptime high=%u clock=%u` gives the
// full 64-bit clock (start(); unlike Klipper, not a point of the fit: the first get_clock answer is); then a burst of kBurstQueries `get_clock` → `clock clock=%u`, the first
// kBurstIntervalNs after the uptime request and as far apart, then one every kQueryIntervalNs (an unusual
// period, so it does not beat against other periodic work); next_query_ns() says when. Each answer is a sample: the host time its request left, the host time
// the answer arrived and the 32-bit clock (on_clock()).
//
// The estimate is a linear regression of MCU clock on host send time with exponential decay (weight 1/30
// per sample), so it follows slow drift of the crystal against the host clock. A sample far off the
// prediction (more than 5 standard deviations and more than 500 µs) is ignored when it is late (a delayed
// answer), unless predictions have been failing for 10 s or the burst is still running: then, as for an
// early one, the prediction variance resets and the sample is used. The smallest half round trip seen
// (aged slowly) places the MCU's clock reading between send and receive. Beyond Klipper: a sample whose
// half round trip exceeds that minimum by more than 1 ms is not fitted (when the MCU read its clock is
// uncertain by as much: a busy host or MCU delayed the request or the answer), unless 30 come in a row,
// which means the link itself got slower; a sample more than 1 ms faster than all before restarts the fit
// from it (they were all slow); the burst lasts until 8 samples are fitted (24 answers at most).
//
// Not thread-safe: one owner (the MCU link's thread); an owner that shares the estimate publishes copies
// of ClockEstimate. Non-real-time.

#include <cstdint>

namespace rtstep::mcu {

inline constexpr int kBurstQueries = 8;
inline constexpr int64_t kBurstIntervalNs = 50'000'000;  // after get_uptime and between the first queries
inline constexpr int64_t kQueryIntervalNs = 983'900'000;  // then 0.9839 s

// A snapshot of the fit: clock = clock + (host_ns - host_ns) * ticks_per_ns. A plain value, copyable
// across threads.
struct ClockEstimate {
  int64_t host_ns = 0;        // reference host time (CLOCK_MONOTONIC)
  double clock = 0;           // MCU clock at host_ns (ticks, 64-bit range)
  double ticks_per_ns = 0;    // fitted frequency / 1e9

  // The MCU clock at host time `t` and the host time of MCU clock `c`.
  double clock_at(int64_t t) const noexcept { return clock + static_cast<double>(t - host_ns) * ticks_per_ns; }
  int64_t host_ns_at(double c) const noexcept;
};

class ClockSync {
 public:
  // `nominal_hz`: CLOCK_FREQ from the data dictionary (> 0).
  explicit ClockSync(double nominal_hz);

  // The uptime answer: the MCU's 64-bit clock (high << 32 | clock), requested at host time `sent_ns`.
  void start(uint32_t high, uint32_t clock, int64_t sent_ns);
  // A `clock` answer: `clock32` read by the MCU between `sent_ns` and `received_ns` (host times; a
  // sent_ns of 0 means unknown, e.g. the request was retransmitted: only the clock extension uses it).
  // Returns false when the sample was rejected (an outlier, or a slow round trip).
  bool on_clock(uint32_t clock32, int64_t sent_ns, int64_t received_ns);

  // When the next get_clock should be sent, given the time the previous one was sent (0 before the first:
  // then a burst interval after start()'s request).
  int64_t next_query_ns(int64_t last_query_ns) const noexcept;

  // A 32-bit clock from the MCU (in any message) widened to 64 bits by the last known clock: the nearest
  // value within ±2^31 ticks of it.
  uint64_t extend(uint32_t clock32) const noexcept;

  // The current fit, referenced to the moment the MCU read its clock (send time + min half round trip).
  ClockEstimate estimate() const noexcept;
  // The MCU clock at host time `host_ns` (rounded down), and back.
  uint64_t clock_at(int64_t host_ns) const noexcept;
  int64_t host_ns_at(uint64_t clock) const noexcept { return estimate().host_ns_at(static_cast<double>(clock)); }

  double nominal_hz() const noexcept { return nominal_hz_; }
  double frequency_hz() const noexcept { return freq_; }  // the fitted frequency
  double prediction_stddev_ticks() const noexcept;
  int64_t min_half_rtt_ns() const noexcept { return static_cast<int64_t>(min_half_rtt_s_ * 1e9); }
  uint64_t last_clock() const noexcept { return last_clock_; }
  int samples() const noexcept { return samples_; }  // in the fit (a restarted fit counts from 0 again)
  int rejected() const noexcept { return rejected_; }

 private:
  double seconds(int64_t ns) const noexcept { return static_cast<double>(ns - epoch_ns_) * 1e-9; }

  double nominal_hz_;
  int64_t epoch_ns_ = 0;  // host time of start(): the regression works in seconds after it
  uint64_t last_clock_ = 0;
  // Regression state (seconds after epoch_ns_, ticks), as in Klipper's clocksync.
  double time_avg_ = 0, time_variance_ = 0, clock_avg_ = 0, clock_covariance_ = 0;
  double prediction_variance_ = 0, last_prediction_time_ = 0;
  double min_half_rtt_s_ = 1e9, min_rtt_time_ = 0;
  double freq_ = 0;
  int samples_ = 0, rejected_ = 0, slow_in_a_row_ = 0;
};

// Print time (host CLOCK_MONOTONIC ns, the time rtstep plans steps in) to MCU clock, continuous and
// monotonic although the estimate it follows changes: like Klipper's secondary-MCU sync, each calibrate()
// starts a new linear piece at the current mapping's value and aims it at the estimate's clock some
// seconds ahead, so corrections are spread over time instead of jumping. Not thread-safe; non-real-time.
class PrintClock {
 public:
  // Starts with `estimate` as the mapping.
  explicit PrintClock(const ClockEstimate& estimate);
  // Re-aims the mapping: `print_ns` is the latest time already committed (commands sent for it),
  // `now_ns` the host time now, `estimate` the current fit. The mapping is unchanged up to
  // max(print_ns, now_ns) and meets the estimate kCalibrateAheadNs later.
  void calibrate(int64_t print_ns, int64_t now_ns, const ClockEstimate& estimate);
  uint64_t clock_at(int64_t print_ns) const noexcept;
  int64_t print_ns_at(uint64_t clock) const noexcept;

  static constexpr int64_t kCalibrateAheadNs = 4'000'000'000;

 private:
  int64_t base_ns_ = 0;  // the piece in use: clock = base_clock_ + (t - base_ns_) * ticks_per_ns_
  double base_clock_ = 0, ticks_per_ns_ = 0;
};

}  // namespace rtstep::mcu
