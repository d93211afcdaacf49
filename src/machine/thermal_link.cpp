// ThermalLink (see thermal_link.hpp).
#include "machine/thermal_link.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "thermal/iio_adc.hpp"

namespace rtstep::machine {

struct ThermalLink::Parts {
  thermal::ThermalConfig config;
  std::unique_ptr<thermal::SimWorld> world;  // sim backend only
  thermal::SensorPoller poller;
  std::vector<std::optional<thermal::SysfsPwm>> hardware;  // per output: its sysfs PWM channel, if any
  std::vector<thermal::Reading> readings;
  SoftPwmPlan soft_pwm;
  std::map<std::size_t, thermal::OutputCommand> pending;    // by thermal output: the latest command not yet pushed
  std::map<std::size_t, thermal::OutputCommand> in_flight;  // the last take_soft_pwm(), for keep_soft_pwm()
  int64_t last_ns = 0;
  BoardThermalPins board_pins;
  std::vector<bool> board_output;        // per thermal output: on a board
  std::weak_ptr<BoardThermalIo> boards;  // attach_boards()
  std::map<uint32_t, double> last_board_reading;  // by sensor: its last ADC fraction from a board
};

namespace {

// Sensor `sensor` (ThermalSystem's index) when its pin is on one of `boards` (a Linux IIO channel, "analog2",
// stays this computer's, as a GPIO line does): the board samples it on the sensor's cadence and range-checks
// it as Klipper's MCU does, between the ADC values of min_temp and max_temp, kRangeCheckCount sums in a row.
std::optional<BoardThermalPins::Sensor> board_sensor(uint32_t sensor, const std::string& name,
                                                     const thermal::SensorConfig& s, double min_temp, double max_temp,
                                                     const std::vector<config::McuConfig>& boards) {
  if (!s.is_adc() || thermal::parse_iio_pin(s.pin.name) || !config::board_pin(boards, s.pin)) return std::nullopt;
  const thermal::AdcConverter converter = s.converter();
  const double a = converter.calc_adc(min_temp), b = converter.calc_adc(max_temp);
  mcu::AdcSpec spec;
  spec.name = name;
  spec.sample_ns = static_cast<int64_t>(s.sample_time * 1e9 + 0.5);
  spec.sample_count = static_cast<uint8_t>(s.sample_count);
  spec.report_ns = static_cast<int64_t>(s.report_time * 1e9 + 0.5);
  if (!std::isnan(a) && !std::isnan(b)) {  // an NTC reads lower when hotter, a PT1000 higher: order them
    spec.min_value = std::clamp(std::min(a, b), 0.0, 1.0);
    spec.max_value = std::clamp(std::max(a, b), 0.0, 1.0);
  }
  spec.range_check_count = thermal::kRangeCheckCount;
  return BoardThermalPins::Sensor{sensor, s.pin, spec};
}

// The pins of `config`'s outputs and ADC sensors that are on one of `boards`, with what the boards need.
BoardThermalPins pins_on_boards(const thermal::ThermalConfig& config, const thermal::ThermalSystem& system,
                                const std::vector<config::McuConfig>& boards) {
  BoardThermalPins pins;
  if (boards.empty()) return pins;
  const std::vector<thermal::OutputSpec>& outputs = system.outputs();
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const thermal::OutputSpec& o = outputs[i];
    if (!config::board_pin(boards, o.pin)) continue;
    mcu::DigitalOutSpec spec;
    spec.name = o.name;
    spec.shutdown_value = o.shutdown_value;
    spec.max_duration_ns = static_cast<int64_t>(o.max_duration * 1e9 + 0.5);
    spec.cycle_ns = static_cast<int64_t>(o.cycle_time * 1e9 + 0.5);
    spec.hardware_pwm = o.hardware_pwm;
    pins.outputs.push_back({i, o.pin, spec});
  }
  uint32_t sensor = 0;  // ThermalSystem's order: heaters, then [temperature_sensor]s
  for (const thermal::HeaterConfig& h : config.heaters) {
    if (auto b = board_sensor(sensor++, h.name, h.sensor, h.min_temp, h.max_temp, boards)) pins.sensors.push_back(*b);
  }
  for (const thermal::TemperatureSensorConfig& t : config.sensors) {
    if (auto b = board_sensor(sensor++, t.name, t.sensor, t.min_temp, t.max_temp, boards)) pins.sensors.push_back(*b);
  }
  return pins;
}

}  // namespace

Result<std::unique_ptr<ThermalLink>> ThermalLink::create(const config::RawConfig& raw, bool simulated, int64_t now_ns,
                                                         const std::vector<config::McuConfig>& boards) {
  auto parts = std::make_unique<Parts>();
  auto config = thermal::load_thermal(raw);
  if (!config) return config.error();
  parts->config = std::move(*config);
  auto system = thermal::ThermalSystem::create(parts->config);
  if (!system) return system.error();
  parts->board_pins = pins_on_boards(parts->config, *system, boards);
  parts->board_output.assign(system->outputs().size(), false);
  for (const BoardThermalPins::Output& o : parts->board_pins.outputs) parts->board_output[o.output] = true;
  thermal::SourceOptions sources;
  sources.start_ns = now_ns;
  sources.elsewhere.assign(system->sensor_count(), false);
  for (const BoardThermalPins::Sensor& s : parts->board_pins.sensors) sources.elsewhere[s.sensor] = true;
  if (simulated) {
    parts->world = std::make_unique<thermal::SimWorld>(parts->config);
    sources.world = parts->world.get();
  } else {
    sources.backend = thermal::SensorBackend::linux_iio;
  }
  auto poller = thermal::make_poller(parts->config, sources);
  if (!poller) return poller.error();
  parts->poller = std::move(*poller);
  parts->soft_pwm = soft_pwm_plan(system->outputs(), parts->board_output);
  for (std::size_t i = 0; i < system->outputs().size(); ++i) {
    const thermal::OutputSpec& out = system->outputs()[i];
    parts->hardware.emplace_back();
    if (simulated || !out.hardware_pwm || parts->board_output[i]) continue;  // the executor's, or a board's
    auto pwm = thermal::SysfsPwm::open("", out.pin.name, static_cast<int64_t>(out.cycle_time * 1e9));
    if (!pwm) return Error{fmt::format("[{}] {}", out.name, pwm.error().message)};
    parts->hardware.back().emplace(std::move(*pwm));
  }
  parts->last_ns = now_ns;
  return std::unique_ptr<ThermalLink>(new ThermalLink(std::move(*system), std::move(parts)));
}

ThermalLink::ThermalLink(thermal::ThermalSystem system, std::unique_ptr<Parts> parts)
    : system_(std::move(system)), parts_(std::move(parts)) {}

ThermalLink::~ThermalLink() {
  for (auto& pwm : parts_->hardware) {
    if (pwm) (void)pwm->set(0);
  }
}

void ThermalLink::tick(int64_t now_ns) {
  Parts& p = *parts_;
  p.readings.clear();
  if (auto polled = p.poller.poll(now_ns, p.readings); !polled) system_.shutdown(polled.error().message, now_ns);
  const std::shared_ptr<BoardThermalIo> boards = p.boards.lock();
  if (boards) {
    const std::size_t local = p.readings.size();
    boards->take_thermal_readings(p.readings);
    for (std::size_t i = local; i < p.readings.size(); ++i) p.last_board_reading[p.readings[i].sensor] = p.readings[i].value;
    if (!system_.shutdown_info()) {
      if (const auto fault = boards->sensor_fault()) system_.shutdown(board_sensor_fault(*fault), now_ns);
    }
  }
  const auto commands = system_.update(now_ns, p.readings);
  if (p.world) {
    p.world->apply(commands);
    if (now_ns > p.last_ns) p.world->step(p.last_ns, now_ns - p.last_ns);
  }
  for (const thermal::OutputCommand& c : commands) {
    if (c.output < p.hardware.size() && p.hardware[c.output]) {
      if (auto set = p.hardware[c.output]->set(c.value); !set) system_.shutdown(set.error().message, now_ns);
    } else if (c.output < p.board_output.size() && p.board_output[c.output]) {
      if (boards) boards->set_thermal_output(c.output, c.time_ns, c.value);
    } else if (c.output < p.soft_pwm.executor_output.size() && p.soft_pwm.executor_output[c.output] >= 0) {
      p.pending[c.output] = c;
    }
  }
  p.last_ns = now_ns;
}

const std::vector<SoftPwmOutput>& ThermalLink::soft_pwm_outputs() const noexcept { return parts_->soft_pwm.outputs; }

const BoardThermalPins& ThermalLink::board_pins() const noexcept { return parts_->board_pins; }

void ThermalLink::attach_boards(std::weak_ptr<BoardThermalIo> boards) { parts_->boards = std::move(boards); }

// Klipper's words for a sensor out of range, from what the host last read of it, then the board's own.
std::string ThermalLink::board_sensor_fault(const BoardSensorFault& fault) const {
  const Parts& p = *parts_;
  const std::size_t heaters = p.config.heaters.size();
  std::string name;
  double min_temp = 0, max_temp = 0;
  std::optional<thermal::AdcConverter> converter;
  if (fault.sensor < heaters) {
    const thermal::HeaterConfig& h = p.config.heaters[fault.sensor];
    name = h.name;
    min_temp = h.min_temp;
    max_temp = h.max_temp;
    converter.emplace(h.sensor.converter());
  } else if (fault.sensor - heaters < p.config.sensors.size()) {
    const thermal::TemperatureSensorConfig& t = p.config.sensors[fault.sensor - heaters];
    name = t.name;
    min_temp = t.min_temp;
    max_temp = t.max_temp;
    converter.emplace(t.sensor.converter());
  }
  const auto last = p.last_board_reading.find(static_cast<uint32_t>(fault.sensor));
  const std::string reading =
      last != p.last_board_reading.end() && converter ? fmt::format(" temperature {:.3f}", converter->calc_temp(last->second)) : "";
  return fmt::format("ADC out of range\nSensor '{}'{} not in range {:.3f}:{:.3f}\n{}", name, reading, min_temp, max_temp,
                     fault.message);
}

std::vector<ipc::Record> ThermalLink::take_soft_pwm(int64_t not_before_ns, int64_t not_after_ns) {
  Parts& p = *parts_;
  std::vector<ipc::Record> records;
  for (auto [output, command] : p.pending) {
    command.time_ns = std::min(command.time_ns, not_after_ns);
    if (auto record = soft_pwm_record(p.soft_pwm, command, not_before_ns)) records.push_back(*record);
  }
  p.in_flight = std::move(p.pending);
  p.pending.clear();
  return records;
}

void ThermalLink::keep_soft_pwm(const std::vector<ipc::Record>& records) {
  Parts& p = *parts_;
  for (const ipc::Record& record : records) {
    for (const auto& [output, command] : p.in_flight) {
      // Back in line with its own time (pushed later, it takes effect then), unless a newer one came meanwhile.
      if (p.soft_pwm.executor_output[output] == record.pwm.output) p.pending.try_emplace(output, command);
    }
  }
}

void ThermalLink::shutdown(const std::string& reason, int64_t now_ns) {
  system_.shutdown(reason, now_ns);
  tick(now_ns);  // the outputs go off now, not at the next tick
}

std::string ThermalLink::fault() const {
  const auto& info = system_.shutdown_info();
  return info ? info->message : std::string();
}

std::string ThermalLink::m105(int64_t now_ns) const {
  std::string text;
  const auto add = [&](const std::string& id, size_t heater) {
    const thermal::HeaterStatus s = system_.heater_status(heater, now_ns);
    if (!text.empty()) text += ' ';
    text += fmt::format("{}:{:.1f} /{:.1f}", id, s.temperature, s.target);
  };
  const auto extruder = system_.heater_index("extruder");
  const auto bed = system_.heater_index("heater_bed");
  if (extruder) add("T", *extruder);
  if (bed) add("B", *bed);
  for (size_t i = 0; i < system_.heater_count(); ++i) {
    if (i == extruder || i == bed) continue;
    add(system_.heater(i).config().short_name, i);
  }
  return text.empty() ? "T:0" : text;
}

}  // namespace rtstep::machine
