#pragma once
// thermal: heaters, temperature sensors and fans with Klipper's control and safety (DESIGN.md §1).
//
// Contract: pure logic on one owner thread (the controller's loop), non-real-time, no clock of its own:
// time is the int64 nanoseconds the caller passes, so the sim and tests run on a virtual clock.
//   load_thermal (thermal_config.hpp)   printer.cfg sections -> ThermalConfig
//   ThermalSystem (thermal_system.hpp)  update(now, readings) -> output commands; targets, waits, shutdown
//   SensorPoller (sampling.hpp)         Klipper's report cadence over SampleSources:
//     make_poller (sources.hpp) builds one for the sim or the Linux backend from a config;
//     IioAdcSource (iio_adc.hpp), HostTempSource (host_temp.hpp), SimAdcSource/SimWorld (sim_plant.hpp)
//   SysfsPwm (sysfs_pwm.hpp)            Linux hardware PWM; soft PWM is the executor's (OutputSpec)
//   save_config_update (save_config.hpp) SAVE_CONFIG's auto-save block, for PID_CALIBRATE's gains
// thermal knows nothing of motion: the caller tells it whether steppers are enabled (controller_fan) and
// stops the steppers itself on a thermal shutdown.

#include "thermal/host_temp.hpp"
#include "thermal/iio_adc.hpp"
#include "thermal/sampling.hpp"
#include "thermal/save_config.hpp"
#include "thermal/sim_plant.hpp"
#include "thermal/sources.hpp"
#include "thermal/sysfs_pwm.hpp"
#include "thermal/thermal_config.hpp"
#include "thermal/thermal_system.hpp"
