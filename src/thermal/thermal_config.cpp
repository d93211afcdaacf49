// load_thermal: the thermal sections of a printer.cfg (see thermal_config.hpp).

#include "thermal/thermal_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "config/section_reader.hpp"

namespace rtstep::thermal {

using config::ErrorSink;
using config::Range;
using config::Section;
using config::SectionReader;

namespace {

constexpr double kNoMaxTemp = 99999999.9;  // Klipper's [temperature_sensor] max_temp default

// Klipper sensor types that rtstep does not read (SPI/I2C chips, amplifier boards).
const char* const kUnsupportedSensors[] = {"AD595",           "AD597",
                                           "AD8494",          "AD8495",
                                           "AD8496",          "AD8497",
                                           "PT100 INA826",    "BME280",
                                           "DS18B20",         "SI7013",
                                           "SI7020",          "SI7021",
                                           "SHT21",           "HTU21D",
                                           "AHT10",           "LM75",
                                           "MAX6675",         "MAX31855",
                                           "MAX31856",        "MAX31865",
                                           "temperature_mcu", "temperature_combined"};

// Keys Klipper accepts in these sections that rtstep reads but does not act on.
const char* const kIgnoredFanKeys[] = {"enable_pin", "tachometer_pin", "tachometer_ppr", "tachometer_poll_interval"};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "heater_generic chamber" -> "chamber"; "" when the section has no NAME.
std::string name_after(const std::string& section, const std::string& prefix) {
  if (section.rfind(prefix + " ", 0) != 0) return "";
  return trim(section.substr(prefix.size() + 1));
}

bool is_extruder_section(const std::string& name) {
  if (name.rfind("extruder", 0) != 0) return false;
  return std::all_of(name.begin() + 8, name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    const std::string item = trim(text.substr(begin, comma - begin));
    if (!item.empty()) out.push_back(item);
    begin = comma + 1;
  }
  return out;
}

class Loader {
 public:
  explicit Loader(const config::RawConfig& raw) : raw_(raw) {}
  Result<ThermalConfig> run();

 private:
  void read_thermistor(const Section& s, const std::string& name);
  void read_heater(const Section& s, bool is_extruder, bool strict);
  void read_sensor(SectionReader& r, SensorConfig& out);
  void read_verify(const Section& s, const std::string& name);
  void read_temperature_sensor(const Section& s, const std::string& name);
  void read_fan(const Section& s, FanKind kind);
  void read_sim(const Section& s, const std::string& name);
  void reject_other_control_keys(SectionReader& r, const std::string& control);
  void finish(SectionReader& r, std::initializer_list<const char* const*> ignored_lists,
              std::initializer_list<size_t> sizes);
  std::vector<std::string> list(SectionReader& r, const std::string& key, std::vector<std::string> fallback);

  const config::RawConfig& raw_;
  ErrorSink errors_;
  ThermalConfig out_;
  std::map<std::string, ThermistorParams> custom_;               // lower-cased [thermistor NAME]
  std::vector<std::pair<const Section*, size_t>> fan_sections_;  // fans that name heaters
};

Result<ThermalConfig> Loader::run() {
  // Custom thermistors first: a heater above its [thermistor] section may use it.
  for (const Section& s : raw_.sections) {
    if (const std::string n = name_after(s.name, "thermistor"); !n.empty()) read_thermistor(s, n);
  }
  for (const Section& s : raw_.sections) {
    const std::string& n = s.name;
    if (is_extruder_section(n)) {
      if (s.values.count("heater_pin") || s.values.count("sensor_type")) read_heater(s, true, false);
    } else if (n == "heater_bed" || !name_after(n, "heater_generic").empty()) {
      read_heater(s, false, true);
    } else if (const std::string t = name_after(n, "temperature_sensor"); !t.empty()) {
      read_temperature_sensor(s, t);
    } else if (n == "fan") {
      read_fan(s, FanKind::fan);
    } else if (!name_after(n, "heater_fan").empty()) {
      read_fan(s, FanKind::heater_fan);
    } else if (!name_after(n, "controller_fan").empty()) {
      read_fan(s, FanKind::controller_fan);
    } else if (!name_after(n, "fan_generic").empty()) {
      read_fan(s, FanKind::fan_generic);
    } else if (n == "heater_generic" || n == "temperature_sensor" || n == "heater_fan" || n == "controller_fan" ||
               n == "fan_generic" || n == "verify_heater" || n == "thermistor" || n == "sim_heater") {
      SectionReader(s, errors_).fail_section("needs a name: [" + n + " NAME]");
    }
  }
  // After every heater: these sections refer to one.
  for (const auto& [section, fan] : fan_sections_) {
    for (const std::string& h : out_.fans[fan].heaters) {
      if (out_.find_heater(h) == nullptr)
        SectionReader(*section, errors_).fail_value("heater", "Unknown heater '" + h + "'");
    }
  }
  for (const Section& s : raw_.sections) {
    if (const std::string v = name_after(s.name, "verify_heater"); !v.empty()) read_verify(s, v);
    if (const std::string v = name_after(s.name, "sim_heater"); !v.empty()) read_sim(s, v);
  }
  if (errors_.failed()) return errors_.first();
  return std::move(out_);
}

std::vector<std::string> Loader::list(SectionReader& r, const std::string& key, std::vector<std::string> fallback) {
  const config::Value* v = r.find_one_line(key);
  if (v == nullptr) return fallback;
  auto items = split_list(v->text);
  if (items.empty()) r.fail_expected(key, "a comma-separated list of names");
  return items;
}

void Loader::finish(SectionReader& r, std::initializer_list<const char* const*> ignored_lists,
                    std::initializer_list<size_t> sizes) {
  auto size_it = sizes.begin();
  for (const char* const* keys : ignored_lists) {
    for (size_t i = 0; i < *size_it; ++i) {
      if (r.find(keys[i]) != nullptr) out_.ignored_keys.push_back("[" + r.section().name + "] " + keys[i]);
    }
    ++size_it;
  }
  for (const std::string& unused : r.unused_keys()) {
    const std::string key = unused.substr(unused.find("] ") + 2);
    r.fail_value(key, "unknown key in this section");
  }
}

void Loader::read_thermistor(const Section& s, const std::string& name) {
  SectionReader r(s, errors_);
  ThermistorParams p;
  p.t1 = r.number("temperature1", Range::at_least(-kKelvinOffset), std::nullopt);
  p.r1 = r.number("resistance1", Range::positive(), std::nullopt);
  if (r.find("beta") != nullptr) {
    p.beta = r.number("beta", Range::positive(), std::nullopt);
  } else {
    p.t2 = r.number("temperature2", Range::at_least(-kKelvinOffset), std::nullopt);
    p.r2 = r.number("resistance2", Range::positive(), std::nullopt);
    p.t3 = r.number("temperature3", Range::at_least(-kKelvinOffset), std::nullopt);
    p.r3 = r.number("resistance3", Range::positive(), std::nullopt);
    // Klipper sorts the points by temperature.
    std::array<std::pair<double, double>, 3> pts{{{p.t1, p.r1}, {p.t2, p.r2}, {p.t3, p.r3}}};
    std::sort(pts.begin(), pts.end());
    if (!errors_.failed() && (pts[0].first == pts[1].first || pts[1].first == pts[2].first)) {
      r.fail_section("needs three different temperatures (or temperature1, resistance1 and beta)");
    }
    p.t1 = pts[0].first, p.r1 = pts[0].second, p.t2 = pts[1].first, p.r2 = pts[1].second;
    p.t3 = pts[2].first, p.r3 = pts[2].second;
  }
  finish(r, {}, {});
  custom_[lower(name)] = p;
}

void Loader::read_sensor(SectionReader& r, SensorConfig& out) {
  const config::Value* type = r.find_one_line("sensor_type");
  if (type == nullptr) {
    r.fail_section("missing required key sensor_type");
    return;
  }
  out.sensor_type = type->text;
  const std::string want = lower(type->text);
  bool known = false;
  for (const std::string& name : builtin_sensor_types()) {
    if (lower(name) != want) continue;
    known = true;
    if (name == "PT1000") {
      out.kind = SensorKind::pt1000;
    } else if (name == "temperature_host") {
      out.kind = SensorKind::host;
    } else {
      out.thermistor = *builtin_thermistor(name);
    }
  }
  if (!known) {
    if (auto it = custom_.find(want); it != custom_.end()) {
      out.thermistor = it->second;
    } else {
      const bool klipper_only = std::any_of(std::begin(kUnsupportedSensors), std::end(kUnsupportedSensors),
                                            [&](const char* n) { return lower(n) == want; });
      std::string supported;
      for (const std::string& n : builtin_sensor_types()) supported += (supported.empty() ? "" : ", ") + n;
      r.fail_value("sensor_type", (klipper_only ? "'" + type->text + "' is not supported by rtstep"
                                                : "Unknown temperature sensor '" + type->text + "'") +
                                      " (rtstep knows " + supported + " and [thermistor NAME] sections)");
      return;
    }
  }
  if (out.kind == SensorKind::host) {
    if (const config::Value* p = r.find_one_line("sensor_path")) out.sensor_path = p->text;
    out.report_time = kHostReportTime;
    out.sample_count = 1;
    return;
  }
  out.pin = r.pin("sensor_pin", true);
  out.pullup_resistor = r.number("pullup_resistor", Range::positive(), 4700.0);
  if (out.kind == SensorKind::thermistor) out.inline_resistor = r.number("inline_resistor", Range::at_least(0), 0.0);
}

void Loader::read_heater(const Section& s, bool is_extruder, bool strict) {
  SectionReader r(s, errors_);
  HeaterConfig h;
  h.name = s.name;
  h.short_name = s.name.substr(s.name.rfind(' ') + 1);
  h.is_extruder = is_extruder;
  if (std::any_of(out_.heaters.begin(), out_.heaters.end(),
                  [&](const auto& o) { return o.short_name == h.short_name; })) {
    r.fail_section("Heater " + h.short_name + " already registered");
  }
  read_sensor(r, h.sensor);
  h.heater_pin = r.pin("heater_pin", true);
  h.min_temp = r.number("min_temp", Range::at_least(-kKelvinOffset), std::nullopt);
  h.max_temp = r.number("max_temp", Range{h.min_temp, 1e300, true, false}, std::nullopt);
  h.min_extrude_temp = r.number("min_extrude_temp", Range::closed(h.min_temp, h.max_temp), 170.0);
  h.max_power = r.number("max_power", Range::open_closed(0, 1), 1.0);
  h.smooth_time = r.number("smooth_time", Range::positive(), 1.0);
  // A heater is soft PWM in the executor, whose cycles start at 0.0001 s (ipc::kMinPwmCycleNs).
  h.pwm_cycle_time = r.number("pwm_cycle_time", Range::closed(0.0001, h.sensor.report_time), 0.100);
  const std::string control = r.word("control");
  if (control == "pid") {
    h.control = ControlKind::pid;
    h.pid.kp = r.number("pid_kp", Range::any(), std::nullopt);
    h.pid.ki = r.number("pid_ki", Range::any(), std::nullopt);
    h.pid.kd = r.number("pid_kd", Range::any(), std::nullopt);
  } else if (control == "watermark") {
    h.control = ControlKind::watermark;
    h.max_delta = r.number("max_delta", Range::positive(), 2.0);
  } else if (!control.empty()) {
    r.fail_expected("control", "pid or watermark");
  }
  if (h.short_name == "heater_bed") h.verify.check_gain_time = 60.0;
  // M105 ids: T0, T1, ... for extruders, B for the bed (Klipper's), gcode_id for a heater_generic.
  if (is_extruder) {
    h.gcode_id = "T" + (s.name.size() > 8 ? s.name.substr(8) : std::string("0"));
  } else if (h.short_name == "heater_bed") {
    h.gcode_id = "B";
  } else if (const config::Value* id = r.find_one_line("gcode_id")) {
    h.gcode_id = id->text;
  }
  reject_other_control_keys(r, control);
  if (strict) finish(r, {}, {});
  out_.heaters.push_back(std::move(h));
}

// Klipper refuses the keys of the other control law; say why rather than "unknown key".
void Loader::reject_other_control_keys(SectionReader& r, const std::string& control) {
  const Section& s = r.section();
  if (control == "watermark") {
    for (const char* key : {"pid_kp", "pid_ki", "pid_kd"}) {
      if (s.values.count(key)) r.fail_value(key, "is only used with control: pid (this heater has control: watermark)");
    }
  } else if (control == "pid" && s.values.count("max_delta")) {
    r.fail_value("max_delta", "is only used with control: watermark (this heater has control: pid)");
  }
}

void Loader::read_verify(const Section& s, const std::string& name) {
  SectionReader r(s, errors_);
  HeaterConfig* heater = nullptr;
  for (auto& h : out_.heaters) {
    if (h.short_name == name) heater = &h;
  }
  if (heater == nullptr) return r.fail_section("Unknown heater '" + name + "'");
  VerifyHeaterConfig& v = heater->verify;
  v.hysteresis = r.number("hysteresis", Range::at_least(0), 5.0);
  v.max_error = r.number("max_error", Range::at_least(0), 120.0);
  v.heating_gain = r.number("heating_gain", Range::positive(), 2.0);
  v.check_gain_time = r.number("check_gain_time", Range::at_least(1), name == "heater_bed" ? 60.0 : 20.0);
  finish(r, {}, {});
}

void Loader::read_temperature_sensor(const Section& s, const std::string& name) {
  SectionReader r(s, errors_);
  TemperatureSensorConfig t;
  t.name = s.name;
  t.short_name = name;
  read_sensor(r, t.sensor);
  t.min_temp = r.number("min_temp", Range::at_least(-kKelvinOffset), -kKelvinOffset);
  t.max_temp = r.number("max_temp", Range{t.min_temp, 1e300, true, false}, kNoMaxTemp);
  if (const config::Value* id = r.find_one_line("gcode_id")) t.gcode_id = id->text;
  finish(r, {}, {});
  out_.sensors.push_back(std::move(t));
}

void Loader::read_fan(const Section& s, FanKind kind) {
  SectionReader r(s, errors_);
  FanConfig f;
  f.kind = kind;
  f.name = s.name;
  f.pin = r.pin("pin", true);
  f.max_power = r.number("max_power", Range::open_closed(0, 1), 1.0);
  f.kick_start_time = r.number("kick_start_time", Range::at_least(0), 0.1);
  f.off_below = r.number("off_below", Range::closed(0, 1), 0.0);
  f.hardware_pwm = r.boolean("hardware_pwm", false);
  // Soft PWM in the executor takes cycles of 0.0001 to 10 s (ipc::kMinPwmCycleNs..kMaxPwmCycleNs); a Linux
  // hardware PWM channel any period (a 25 kHz fan: 0.00004 s).
  f.cycle_time = r.number("cycle_time", f.hardware_pwm ? Range::positive() : Range::closed(0.0001, 10), 0.010);
  f.shutdown_speed = r.number("shutdown_speed", Range::closed(0, 1), kind == FanKind::heater_fan ? 1.0 : 0.0);
  if (kind == FanKind::heater_fan || kind == FanKind::controller_fan) {
    f.heaters = list(r, "heater", {"extruder"});
    f.fan_speed = r.number("fan_speed", Range::closed(0, 1), 1.0);
  }
  if (kind == FanKind::heater_fan) f.heater_temp = r.number("heater_temp", Range::any(), 50.0);
  if (kind == FanKind::controller_fan) {
    f.idle_speed = r.number("idle_speed", Range::closed(0, 1), f.fan_speed);
    f.idle_timeout = static_cast<int>(r.integer("idle_timeout", Range::closed(0, 1e9), 30));
    f.steppers = list(r, "stepper", {});
  }
  finish(r, {kIgnoredFanKeys}, {std::size(kIgnoredFanKeys)});
  if (!f.heaters.empty()) fan_sections_.emplace_back(&s, out_.fans.size());
  out_.fans.push_back(std::move(f));
}

void Loader::read_sim(const Section& s, const std::string& name) {
  SectionReader r(s, errors_);
  if (out_.find_heater(name) == nullptr) return r.fail_section("Unknown heater '" + name + "'");
  SimHeaterConfig c = SimHeaterConfig::defaults_for(name);
  c.heater_power = r.number("heater_power", Range::positive(), c.heater_power);
  c.heat_capacity = r.number("heat_capacity", Range::positive(), c.heat_capacity);
  c.ambient_loss = r.number("ambient_loss", Range::positive(), c.ambient_loss);
  c.sensor_lag = r.number("sensor_lag", Range::positive(), c.sensor_lag);
  c.noise = r.number("noise", Range::at_least(0), c.noise);
  c.ambient_temp = r.number("ambient_temp", Range::closed(-50, 100), c.ambient_temp);
  c.seed = static_cast<uint64_t>(r.integer("seed", Range::closed(0, 9e18), 1));
  if (r.find_one_line("fault") != nullptr && !parse_sim_fault(r.word("fault"), c.fault)) {
    r.fail_expected("fault", "none, heater_disconnected, sensor_open, sensor_shorted or heater_stuck_on");
  }
  c.fault_time = r.number("fault_time", Range::at_least(0), 0.0);
  finish(r, {}, {});
  out_.sim_heaters.push_back(c);
}

}  // namespace

AdcConverter SensorConfig::converter() const {
  if (kind == SensorKind::pt1000)
    return AdcConverter(LinearResistance(LinearResistance::pt1000_table(), pullup_resistor));
  return AdcConverter(Thermistor(thermistor, pullup_resistor, inline_resistor));
}

const HeaterConfig* ThermalConfig::find_heater(const std::string& short_name) const {
  for (const HeaterConfig& h : heaters) {
    if (h.short_name == short_name) return &h;
  }
  return nullptr;
}

Result<ThermalConfig> load_thermal(const config::RawConfig& raw) { return Loader(raw).run(); }

}  // namespace rtstep::thermal
