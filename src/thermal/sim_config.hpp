#pragma once
// Settings of the sim thermal plant of one heater: rtstep's [sim_heater NAME] section (NAME is the heater's
// short name: extruder, heater_bed, chamber). Every key is optional; the defaults are a typical 40 W hot end
// (every heater but the bed) and a 200 W bed:
//
//   [sim_heater extruder]
//   heater_power: 40        # W delivered at full PWM (> 0)
//   heat_capacity: 12       # J/K of the heater block (> 0)            bed: 400
//   ambient_loss: 0.1       # W/K from block to ambient (> 0)          bed: 1.5
//   sensor_lag: 3           # s, time constant block -> sensor (> 0)   bed: 5
//   noise: 0.05             # C, standard deviation of the sensor noise (>= 0)
//   ambient_temp: 25        # C, start and ambient temperature
//   seed: 1                 # noise generator seed (integer >= 0): runs repeat exactly
//   fault: none             # none, heater_disconnected, sensor_open, sensor_shorted, heater_stuck_on
//   fault_time: 0           # s of virtual time from the start when the fault begins (>= 0)
//
// heater_disconnected: no power reaches the block; sensor_open: the ADC reads full scale (very cold);
// sensor_shorted: the ADC reads zero (very hot); heater_stuck_on: full power whatever the PWM.
// Plain values; any thread.

#include <cstdint>
#include <string>

namespace rtstep::thermal {

enum class SimFault { none, heater_disconnected, sensor_open, sensor_shorted, heater_stuck_on };

struct SimHeaterConfig {
  std::string heater;           // short heater name
  double heater_power = 40.0;   // W
  double heat_capacity = 12.0;  // J/K
  double ambient_loss = 0.1;    // W/K
  double sensor_lag = 3.0;      // s
  double noise = 0.05;          // C (1 sigma)
  double ambient_temp = 25.0;   // C
  uint64_t seed = 1;
  SimFault fault = SimFault::none;
  double fault_time = 0.0;  // s
  // Defaults for a heater by short name: the bed's for "heater_bed", a hot end's otherwise.
  static SimHeaterConfig defaults_for(const std::string& heater);
};

// "none", "heater_disconnected", ...; nullopt-like: returns false for an unknown word.
bool parse_sim_fault(const std::string& word, SimFault& out);
const char* sim_fault_name(SimFault fault);

}  // namespace rtstep::thermal
