#pragma once
// Builds the SensorPoller of a ThermalConfig for one backend, in ThermalSystem's sensor order (heaters,
// then [temperature_sensor]s), each sensor on Klipper's cadence starting at `start_ns`:
//   sim:   ADC sensors read the SimWorld's plants (a [temperature_sensor] reads ambient);
//   linux: ADC sensors read Linux IIO channels (sensor_pin analogN or iio:deviceN/in_voltageM; an MCU pin
//          such as PA0 is an error naming the section: it needs an [mcu] link);
//   both:  temperature_host reads <root><sensor_path>;
//   a sensor marked `elsewhere` (on an MCU board) is not read here at all.
// Init only; non-real-time. The SimWorld must outlive the poller.

#include <cstdint>
#include <string>
#include <vector>

#include "thermal/iio_adc.hpp"
#include "thermal/sampling.hpp"
#include "thermal/sim_plant.hpp"
#include "thermal/thermal_config.hpp"

namespace rtstep::thermal {

enum class SensorBackend { sim, linux_iio };

struct SourceOptions {
  SensorBackend backend = SensorBackend::sim;
  std::string root;           // "" on a machine; a fixture tree in tests
  SimWorld* world = nullptr;  // required for the sim backend
  IioOptions iio;
  int64_t start_ns = 0;  // first burst
  // Per sensor in ThermalSystem's order: read elsewhere (an MCU board samples it: machine::McuBoards), so
  // it gets no source here. Shorter than the sensor list: the rest are read here.
  std::vector<bool> elsewhere;
};

Result<SensorPoller> make_poller(const ThermalConfig& config, const SourceOptions& options);

}  // namespace rtstep::thermal
