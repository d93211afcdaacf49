// SegmentRing throughput: try_push + try_pop on one thread (the cost of the two operations themselves),
// and streaming from a producer thread to a consumer thread through a ring of 4096 records (what the
// host -> executor path can carry). Reported as items_per_second.
//
//   build/<dir>/bench/rtstep_ipc_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "ipc/ipc.hpp"

namespace {

using rtstep::ipc::Record;
using rtstep::ipc::SegmentRing;
using rtstep::ipc::StepSegment;

std::string bench_name() {
  static int counter = 0;
  return "/rtstep-bench-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

SegmentRing make_ring(uint32_t capacity) {
  auto ring = SegmentRing::create(bench_name(), capacity);
  if (!ring.ok()) {
    std::fprintf(stderr, "%s\n", ring.error().message.c_str());
    std::abort();
  }
  return std::move(ring.value());
}

Record sample(int64_t i) {
  StepSegment s;
  s.first_time_ns = i;
  s.interval_ns = 10'000;
  s.count = 1;
  return Record::of(s);
}

void BM_PushPopSingleThread(benchmark::State& state) {
  SegmentRing ring = make_ring(4096);
  int64_t i = 0;
  Record out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring.try_push(sample(i++)));
    benchmark::DoNotOptimize(ring.try_pop(out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PushPopSingleThread);

// The producer is the benchmark thread; a consumer thread drains the ring until it sees end of stream.
void BM_StreamTwoThreads(benchmark::State& state) {
  SegmentRing ring = make_ring(4096);
  std::atomic<uint64_t> consumed{0};
  std::thread consumer([&] {
    Record r;
    uint64_t n = 0;
    for (;;) {
      if (!ring.try_pop(r)) continue;
      if (r.kind == rtstep::ipc::RecordKind::kEndOfStream) break;
      ++n;
    }
    consumed.store(n, std::memory_order_relaxed);
  });
  int64_t i = 0;
  for (auto _ : state) {
    const Record r = sample(i++);
    while (!ring.try_push(r)) {
    }
  }
  while (!ring.try_push(Record::end_of_stream())) {
  }
  consumer.join();
  if (consumed.load() != static_cast<uint64_t>(i)) state.SkipWithError("records lost");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StreamTwoThreads)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
