// ThermalLink (see thermal_link.hpp).
#include "machine/thermal_link.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

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
};

Result<std::unique_ptr<ThermalLink>> ThermalLink::create(const config::RawConfig& raw, bool simulated, int64_t now_ns) {
  auto parts = std::make_unique<Parts>();
  auto config = thermal::load_thermal(raw);
  if (!config) return config.error();
  parts->config = std::move(*config);
  auto system = thermal::ThermalSystem::create(parts->config);
  if (!system) return system.error();
  thermal::SourceOptions sources;
  sources.start_ns = now_ns;
  if (simulated) {
    parts->world = std::make_unique<thermal::SimWorld>(parts->config);
    sources.world = parts->world.get();
  } else {
    sources.backend = thermal::SensorBackend::linux_iio;
  }
  auto poller = thermal::make_poller(parts->config, sources);
  if (!poller) return poller.error();
  parts->poller = std::move(*poller);
  parts->soft_pwm = soft_pwm_plan(system->outputs());
  for (const thermal::OutputSpec& out : system->outputs()) {
    parts->hardware.emplace_back();
    if (simulated || !out.hardware_pwm) continue;  // soft PWM: the executor drives it
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
  const auto commands = system_.update(now_ns, p.readings);
  if (p.world) {
    p.world->apply(commands);
    if (now_ns > p.last_ns) p.world->step(p.last_ns, now_ns - p.last_ns);
  }
  for (const thermal::OutputCommand& c : commands) {
    if (c.output < p.hardware.size() && p.hardware[c.output]) {
      if (auto set = p.hardware[c.output]->set(c.value); !set) system_.shutdown(set.error().message, now_ns);
    } else if (c.output < p.soft_pwm.executor_output.size() && p.soft_pwm.executor_output[c.output] >= 0) {
      p.pending[c.output] = c;
    }
  }
  p.last_ns = now_ns;
}

const std::vector<SoftPwmOutput>& ThermalLink::soft_pwm_outputs() const noexcept { return parts_->soft_pwm.outputs; }

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
