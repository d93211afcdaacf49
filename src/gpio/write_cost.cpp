// measure_write_cost: ns per Backend::write, from batches of writes timed with the monotonic clock.
#include <time.h>

#include <algorithm>
#include <vector>

#include "gpio/hardware.hpp"
#include "gpio/register_pins.hpp"
#include "util/clock.hpp"

namespace rtstep::gpio {
namespace {

constexpr uint64_t kBatch = 1000;

}  // namespace

WriteCost measure_write_cost(Backend& backend, std::size_t pins, uint64_t writes) {
  const PinMask all = first_pins(pins);
  const uint64_t batches = std::max<uint64_t>(1, writes / kBatch);
  std::vector<double> per_write;
  per_write.reserve(batches);
  for (uint64_t b = 0; b < batches; ++b) {
    const int64_t start = monotonic_ns();
    for (uint64_t i = 0; i < kBatch; i += 2) {
      backend.write(all, 0, 0, 0);
      backend.write(0, all, 0, 0);
    }
    per_write.push_back(static_cast<double>(monotonic_ns() - start) / kBatch);
  }
  backend.write(0, all, 0, 0);  // leave every pin at its safe level
  std::sort(per_write.begin(), per_write.end());
  WriteCost cost;
  cost.writes = batches * kBatch;
  cost.median_ns = per_write[per_write.size() / 2];
  cost.p99_ns = per_write[std::min(per_write.size() - 1, per_write.size() * 99 / 100)];
  cost.min_ns = per_write.front();
  cost.max_ns = per_write.back();
  return cost;
}

}  // namespace rtstep::gpio
