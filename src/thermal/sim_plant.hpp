#pragma once
// The sim thermal plant: per heater, two nodes on the virtual clock.
//   block:  C dTb/dt = P * u - k (Tb - Tamb)       (u: PWM actually delivered, 0..1)
//   sensor: dTs/dt  = (Tb - Ts) / sensor_lag        (the thermistor sits in the block, behind a lag)
// A sample is Ts plus Gaussian noise from a seeded generator (splitmix64 + Box-Muller), so a run repeats
// exactly. Faults (sim_config.hpp) start at their fault_time. An ADC reading goes through the sensor's own
// converter (calc_adc), so the sim exercises the same ADC -> temperature path as the hardware.
// SimWorld holds the plants of one ThermalSystem, applies its output commands at their times and is stepped
// by the caller on a fixed time step. Owner thread; non-real-time; never reads the wall clock.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "thermal/sampling.hpp"
#include "thermal/sensors.hpp"
#include "thermal/sim_config.hpp"

namespace rtstep::thermal {

struct ThermalConfig;
struct OutputCommand;

class SimPlant {
 public:
  explicit SimPlant(const SimHeaterConfig& config);
  // Integrates from `now_ns` over `dt_ns` with PWM `pwm` (sub-steps of at most 10 ms).
  void step(int64_t now_ns, int64_t dt_ns, double pwm);
  double block_temp() const noexcept { return block_; }
  double sensor_temp() const noexcept { return sensor_; }
  bool fault_active(int64_t now_ns) const noexcept;
  // The sensor temperature with noise (draws from the generator).
  double sample_temp();
  // The ADC fraction the sensor would give at `now_ns`, faults included.
  double sample_adc(const AdcConverter& converter, int64_t now_ns);
  const SimHeaterConfig& config() const noexcept { return config_; }

 private:
  double gaussian();
  SimHeaterConfig config_;
  double block_, sensor_;
  uint64_t rng_;
};

// A sample source reading a plant (or ambient, for a sensor without a heater).
class SimAdcSource final : public SampleSource {
 public:
  SimAdcSource(SimPlant* plant, AdcConverter converter) : plant_(plant), converter_(std::move(converter)) {}
  Result<double> read(int64_t now_ns) override;

 private:
  SimPlant* plant_;  // owned by the SimWorld; nullptr = ambient 25 C without noise
  AdcConverter converter_;
};

class SimWorld {
 public:
  // One plant per heater of `config` ([sim_heater NAME] or the defaults).
  explicit SimWorld(const ThermalConfig& config);
  // Queues output commands (from ThermalSystem::update); heater outputs only, others are ignored.
  void apply(std::span<const OutputCommand> commands);
  // Advances every plant from `now_ns` to `now_ns + dt_ns`, applying due commands first.
  void step(int64_t now_ns, int64_t dt_ns);
  // Sample sources for every sensor of the config, in ThermalSystem's sensor order (heaters, then
  // [temperature_sensor]s; a temperature_host sensor gets no sim source: nullptr).
  std::vector<std::unique_ptr<SampleSource>> make_sources(const ThermalConfig& config);
  SimPlant& plant(size_t heater) { return plants_[heater]; }
  size_t size() const noexcept { return plants_.size(); }
  double pwm(size_t heater) const { return pwm_[heater]; }

 private:
  struct Pending {
    int64_t time_ns;
    double value;
  };
  std::vector<SimPlant> plants_;
  std::vector<double> pwm_;
  std::vector<std::vector<Pending>> pending_;
};

}  // namespace rtstep::thermal
