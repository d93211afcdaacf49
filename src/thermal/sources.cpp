// Sensor sources per backend (see sources.hpp).

#include "thermal/sources.hpp"

#include "thermal/host_temp.hpp"

namespace rtstep::thermal {

namespace {

Oversampler timing_of(const SensorConfig& s, int64_t start_ns) {
  return Oversampler(start_ns, static_cast<int64_t>(s.report_time * 1e9 + 0.5),
                     static_cast<int64_t>(s.sample_time * 1e9 + 0.5), s.sample_count);
}

Result<std::unique_ptr<SampleSource>> hardware_source(const std::string& section, const SensorConfig& s,
                                                      const SourceOptions& o) {
  if (!s.is_adc()) {
    auto host = HostTempSource::open(o.root, s.sensor_path);
    if (!host) return Error{"[" + section + "] " + host.error().message};
    return std::unique_ptr<SampleSource>(std::make_unique<HostTempSource>(std::move(host).value()));
  }
  if (!parse_iio_pin(s.pin.name)) {
    return Error{"[" + section + "] sensor_pin " + s.pin.name +
                 ": not a Linux IIO channel (analogN or iio:deviceN/in_voltageM); a pin of a board flashed with "
                 "Klipper's firmware is read there with [mcu] and --mcu"};
  }
  auto adc = IioAdcSource::open(o.root, s.pin.name, o.iio);
  if (!adc) return Error{"[" + section + "] " + adc.error().message};
  return std::unique_ptr<SampleSource>(std::make_unique<IioAdcSource>(std::move(adc).value()));
}

}  // namespace

Result<SensorPoller> make_poller(const ThermalConfig& config, const SourceOptions& o) {
  std::vector<std::pair<std::string, SensorConfig>> sensors;
  for (const HeaterConfig& h : config.heaters) sensors.emplace_back(h.name, h.sensor);
  for (const TemperatureSensorConfig& t : config.sensors) sensors.emplace_back(t.name, t.sensor);
  std::vector<std::unique_ptr<SampleSource>> sim;
  if (o.backend == SensorBackend::sim) {
    if (o.world == nullptr) return Error{"thermal: the sim backend needs a SimWorld"};
    sim = o.world->make_sources(config);
  }
  SensorPoller poller;
  for (uint32_t i = 0; i < sensors.size(); ++i) {
    const auto& [section, s] = sensors[i];
    if (i < o.elsewhere.size() && o.elsewhere[i]) continue;
    std::unique_ptr<SampleSource> source;
    if (o.backend == SensorBackend::sim && s.is_adc()) {
      source = std::move(sim[i]);
    } else {
      auto made = hardware_source(section, s, o);
      if (!made) return made.error();
      source = std::move(made).value();
    }
    poller.add(i, std::move(source), timing_of(s, o.start_ns));
  }
  return poller;
}

}  // namespace rtstep::thermal
