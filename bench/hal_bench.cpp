// The cost of running HAL functions in a thread: one cycle of a HalThread with N trivial functions
// (HalThread::run_functions: a clock read and the time/tmax bookkeeping per function). The overhead per
// function is (cycle time - N * bare call) / N; the target is <= 50 ns.
#include <benchmark/benchmark.h>

#include <string>

#include "hal/hal.hpp"
#include "hal/thread.hpp"

namespace {

using rtstep::hal::Hal;

struct Counter : rtstep::hal::Instance {
  rtstep::hal::Pin<int32_t> out;
};

void count_fn(void* arg, int64_t /*period*/) noexcept {
  auto& c = *static_cast<Counter*>(arg);
  c.out.set(c.out.get() + 1);
}

void BM_BareCall(benchmark::State& state) {
  Hal hal;
  const int id = *hal.add_component("c");
  auto& c = static_cast<Counter&>(*hal.own(id, std::make_unique<Counter>()));
  (void)hal.add_pin(id, "c.out", rtstep::hal::Dir::kOut, c.out);
  rtstep::hal::FunctionFn volatile fn = &count_fn;
  for (auto _ : state) fn(&c, 25000);
  benchmark::DoNotOptimize(c.out.get());
}
BENCHMARK(BM_BareCall);

void BM_ThreadCycle(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Hal hal;
  const int id = *hal.add_component("c");
  for (int i = 0; i < n; ++i) {
    auto& c = static_cast<Counter&>(*hal.own(id, std::make_unique<Counter>()));
    const std::string name = "c." + std::to_string(i);
    (void)hal.add_pin(id, name + ".out", rtstep::hal::Dir::kOut, c.out);
    (void)hal.add_function(id, name, &count_fn, &c);
  }
  (void)hal.create_thread("base", 25000, id);
  for (int i = 0; i < n; ++i) (void)hal.add_function_to_thread("c." + std::to_string(i), "base", -1);
  rtstep::hal::HalThread& t = *hal.find_thread("base");
  for (auto _ : state) t.run_functions(25000);
  state.counters["ns_per_function"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * n, benchmark::Counter::kIsRate |
                                                                          benchmark::Counter::kInvert);
}
BENCHMARK(BM_ThreadCycle)->Arg(1)->Arg(4)->Arg(16)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
