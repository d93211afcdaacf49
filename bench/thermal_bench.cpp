// The cost of the thermal owner-thread work per tick: ThermalSystem::update with a report for each of two
// heaters (the worst tick: both PID/watermark updates, smoothing, range checks, PWM rule), one without
// readings (the common tick), and one sim-plant step of 10 ms. These run on the controller thread, not the
// real-time one; the numbers say how little of a 10 ms tick they take.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "config/config.hpp"
#include "thermal/thermal.hpp"

namespace {

using namespace rtstep::thermal;

constexpr const char* kConfig =
    "[extruder]\nheater_pin: PA1\nsensor_type: EPCOS 100K B57560G104F\nsensor_pin: PC5\ncontrol: pid\n"
    "pid_Kp: 21.527\npid_Ki: 1.063\npid_Kd: 108.982\nmin_temp: 0\nmax_temp: 250\n"
    "[heater_bed]\nheater_pin: PA2\nsensor_type: Generic 3950\nsensor_pin: PC4\ncontrol: watermark\n"
    "min_temp: 0\nmax_temp: 130\n[fan]\npin: PA0\n[heater_fan hotend]\npin: PB1\n";

ThermalConfig config() {
  auto raw = rtstep::config::parse_raw(kConfig, "bench.cfg");
  return std::move(load_thermal(raw.value())).value();
}

void BM_UpdateWithTwoReports(benchmark::State& state) {
  const ThermalConfig c = config();
  auto system = std::move(ThermalSystem::create(c)).value();
  (void)system.set_target("extruder", 200);
  (void)system.set_target("heater_bed", 60);
  const AdcConverter e = c.heaters[0].sensor.converter(), b = c.heaters[1].sensor.converter();
  int64_t now = 0;
  double temp = 150;
  for (auto _ : state) {
    now += 300'000'000;
    temp = temp > 199 ? 150 : temp + 0.1;
    const Reading r[2] = {{0, now, e.calc_adc(temp)}, {1, now, b.calc_adc(temp / 3)}};
    benchmark::DoNotOptimize(system.update(now, r).size());
  }
}
BENCHMARK(BM_UpdateWithTwoReports);

void BM_UpdateWithoutReadings(benchmark::State& state) {
  auto system = std::move(ThermalSystem::create(config())).value();
  int64_t now = 0;
  for (auto _ : state) {
    now += 10'000'000;
    benchmark::DoNotOptimize(system.update(now, {}).size());
  }
}
BENCHMARK(BM_UpdateWithoutReadings);

void BM_SimPlantStep10ms(benchmark::State& state) {
  SimPlant plant(SimHeaterConfig::defaults_for("extruder"));
  int64_t now = 0;
  for (auto _ : state) {
    plant.step(now, 10'000'000, 0.5);
    now += 10'000'000;
    benchmark::DoNotOptimize(plant.sensor_temp());
  }
}
BENCHMARK(BM_SimPlantStep10ms);

}  // namespace

BENCHMARK_MAIN();
