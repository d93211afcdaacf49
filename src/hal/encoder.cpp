// encoder: software quadrature decoding, as LinuxCNC's encoder (a subset of its pins). Two functions
// cover all channels:
//   encoder.update-counters (base thread): decodes phase-A/B each period from the previous and current
//     levels — x4 mode counts every valid transition (A leading B counts up), x1 mode counts once per
//     cycle (A rising with B low up, A falling with B low down), counter mode counts rising edges of A and
//     ignores B — latches the count at a rising Z while index-enable is set (then clears it), and latches
//     it again at each edge of latch-input that latch-rising / latch-falling select (a probe input).
//   encoder.capture-position (servo thread): counts, position = counts / position-scale, velocity from
//     the change of counts over the servo period, and counts-latched / position-latched after a latch
//     (relative to the index, as counts).
// The base thread hands the raw and index counts over through relaxed atomics (one writer each).
// Real-time safe.
#include <atomic>
#include <cmath>
#include <memory>

#include "hal/component.hpp"

namespace rtstep::hal {

namespace {

struct EncoderChannel {
  Pin<bool> phase_a, phase_b, phase_z, index_enable, reset, x4_mode, counter_mode;
  Pin<bool> latch_input, latch_rising, latch_falling;
  Pin<int32_t> rawcounts, counts, counts_latched;
  Pin<double> position, velocity, position_scale, position_latched;
  // Written by update-counters.
  std::atomic<int32_t> raw{0};
  std::atomic<int32_t> index_raw{0};
  std::atomic<uint32_t> index_seq{0};  // bumped at each index latch
  std::atomic<int32_t> latch_raw{0};
  std::atomic<uint32_t> latch_seq{0};  // bumped at each latch-input edge that latches
  uint8_t old_ab = 0;
  bool old_z = false;
  bool old_latch = false;
  // capture-position only.
  int32_t base_raw = 0;  // raw at the last reset / index
  uint32_t seen_index_seq = 0;
  uint32_t seen_latch_seq = 0;
  int32_t old_counts = 0;
  bool first = true;
};

struct Encoder : Instance {
  std::unique_ptr<EncoderChannel[]> channels;
  int count = 0;
};

// Change of count for a transition (old AB -> new AB), A in bit 1, B in bit 0. Forward: 00 10 11 01.
int quad_step(uint8_t from, uint8_t to) noexcept {
  static constexpr int8_t kTable[16] = {
      //      to: 00  01  10  11
      /*00*/ 0, -1, +1, 0,
      /*01*/ +1, 0, 0, -1,
      /*10*/ -1, 0, 0, +1,
      /*11*/ 0, +1, -1, 0,
  };
  return kTable[from * 4 + to];  // 0 for no change and for an invalid double transition
}

void update_counters(void* arg, int64_t /*period*/) noexcept {
  auto& e = *static_cast<Encoder*>(arg);
  for (int i = 0; i < e.count; ++i) {
    EncoderChannel& c = e.channels[i];
    const bool a = c.phase_a.get(), b = c.phase_b.get();
    const uint8_t ab = static_cast<uint8_t>((a ? 2 : 0) | (b ? 1 : 0));
    int delta = 0;
    if (c.counter_mode.get()) {
      delta = (a && (c.old_ab & 2) == 0) ? 1 : 0;
    } else if (c.x4_mode.get()) {
      delta = quad_step(c.old_ab, ab);
    } else if (!b && (c.old_ab & 1) == 0) {  // x1: A edges while B stays low
      delta = (a && (c.old_ab & 2) == 0) ? 1 : ((!a && (c.old_ab & 2) != 0) ? -1 : 0);
    }
    c.old_ab = ab;
    const int32_t raw = c.raw.load(std::memory_order_relaxed) + delta;
    c.raw.store(raw, std::memory_order_relaxed);
    const bool z = c.phase_z.get();
    if (z && !c.old_z && c.index_enable.get()) {
      c.index_raw.store(raw, std::memory_order_relaxed);
      c.index_seq.store(c.index_seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
      c.index_enable.set(false);
    }
    c.old_z = z;
    const bool latch = c.latch_input.get();
    if ((latch && !c.old_latch && c.latch_rising.get()) || (!latch && c.old_latch && c.latch_falling.get())) {
      c.latch_raw.store(raw, std::memory_order_relaxed);
      c.latch_seq.store(c.latch_seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    c.old_latch = latch;
    c.rawcounts.set(raw);
  }
}

void capture_position(void* arg, int64_t period_ns) noexcept {
  auto& e = *static_cast<Encoder*>(arg);
  const double dt = static_cast<double>(period_ns) * 1e-9;
  for (int i = 0; i < e.count; ++i) {
    EncoderChannel& c = e.channels[i];
    const uint32_t seq = c.index_seq.load(std::memory_order_acquire);
    const int32_t raw = c.raw.load(std::memory_order_relaxed);
    bool jumped = false;
    if (seq != c.seen_index_seq) {
      c.seen_index_seq = seq;
      c.base_raw = c.index_raw.load(std::memory_order_relaxed);
      jumped = true;
    }
    if (c.reset.get()) {
      c.base_raw = raw;
      jumped = true;
    }
    double scale = c.position_scale.get();
    if (std::fabs(scale) < 1e-20) {
      scale = 1.0;
      c.position_scale.set(scale);
    }
    const int32_t counts = raw - c.base_raw;
    c.counts.set(counts);
    c.position.set(counts / scale);
    if (const uint32_t latch_seq = c.latch_seq.load(std::memory_order_acquire); latch_seq != c.seen_latch_seq) {
      c.seen_latch_seq = latch_seq;
      const int32_t latched = c.latch_raw.load(std::memory_order_relaxed) - c.base_raw;
      c.counts_latched.set(latched);
      c.position_latched.set(latched / scale);
    }
    if (c.first || jumped) {
      c.velocity.set(0.0);
      c.first = false;
    } else {
      c.velocity.set((counts - c.old_counts) / scale / dt);
    }
    c.old_counts = counts;
  }
}

}  // namespace

Status load_encoder(Hal& hal, LoadArgs& args) {
  args.alias("num_chan", "count");
  auto names = instance_names("encoder", args, 3, 8);
  if (!names) return Error{"loadrt encoder: " + names.error().message};
  if (auto st = args.check_all_used("encoder"); !st) return Error{"loadrt encoder: " + st.error().message};
  return load_component(hal, "encoder", [&](Builder& b) -> Status {
    auto& e = b.make<Encoder>();
    e.count = static_cast<int>(names->size());
    e.channels = std::make_unique<EncoderChannel[]>(names->size());
    for (int i = 0; i < e.count; ++i) {
      EncoderChannel& c = e.channels[i];
      const std::string& n = (*names)[static_cast<std::size_t>(i)];
      b.pin(n + ".phase-A", Dir::kIn, c.phase_a);
      b.pin(n + ".phase-B", Dir::kIn, c.phase_b);
      b.pin(n + ".phase-Z", Dir::kIn, c.phase_z);
      b.pin(n + ".index-enable", Dir::kIo, c.index_enable);
      b.pin(n + ".reset", Dir::kIn, c.reset);
      b.pin(n + ".x4-mode", Dir::kIn, c.x4_mode, true);
      b.pin(n + ".counter-mode", Dir::kIn, c.counter_mode);
      b.pin(n + ".rawcounts", Dir::kOut, c.rawcounts);
      b.pin(n + ".counts", Dir::kOut, c.counts);
      b.pin(n + ".position", Dir::kOut, c.position);
      b.pin(n + ".velocity", Dir::kOut, c.velocity);
      b.pin(n + ".position-scale", Dir::kIo, c.position_scale, 1.0);
      b.pin(n + ".latch-input", Dir::kIn, c.latch_input);
      b.pin(n + ".latch-rising", Dir::kIn, c.latch_rising, true);
      b.pin(n + ".latch-falling", Dir::kIn, c.latch_falling, true);
      b.pin(n + ".counts-latched", Dir::kOut, c.counts_latched);
      b.pin(n + ".position-latched", Dir::kOut, c.position_latched);
    }
    b.function("encoder.update-counters", &update_counters, &e);
    b.function("encoder.capture-position", &capture_position, &e);
    return Ok{};
  });
}

}  // namespace rtstep::hal
