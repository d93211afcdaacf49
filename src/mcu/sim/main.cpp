// rtstep-mcu-sim: a simulated board flashed with Klipper's firmware, on a pseudo-terminal. It runs
// SimFirmware (firmware.hpp) on CLOCK_MONOTONIC through a crystal of the given frequency and drift, and
// writes what it executed to a record file for tests to compare with the plan.
//
//   rtstep-mcu-sim --pty PATH [--clock-freq HZ] [--drift-ppm PPM] [--start-clock TICKS] [--move-count N]
//                  [--id-seed N] [--omit COMMAND]... [--legacy-adc 1] [--adc PIN=RAW]...
//                  [--endstop PIN=STEP_PIN:POSITION]... [--heater ADC_PIN=HEATER_PIN[,KEY=VALUE]...]...
//                  [--corrupt-rx N] [--drop-rx N] [--corrupt-tx N] [--record FILE]
//
// --heater: ADC_PIN reads the thermistor of a heater model heated by the board's output HEATER_PIN (see
// firmware.hpp); KEYs are [sim_heater]'s: heater_power, heat_capacity, ambient_loss, sensor_lag, noise,
// ambient_temp, seed (a hot end's defaults otherwise).
//
// PATH becomes a symlink to the pseudo-terminal, as a /dev/serial/by-id/... name is to a tty. Signals:
// SIGTERM/SIGINT write the record and exit; SIGUSR1 restarts the firmware (a spontaneous reset); SIGUSR2
// writes the record now; SIGHUP makes every --heater sensor read shorted from then on (ADC 0: "ADC out of
// range" once the host's limits are in place). Faults injected on the line: --corrupt-rx N flips one byte in every N bytes from
// the host, --drop-rx N loses 8 bytes in every N, --corrupt-tx N flips one byte in every N to the host.

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <asm/termbits.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "mcu/sim/firmware.hpp"

namespace {

using rtstep::mcu::sim::FirmwareOptions;
using rtstep::mcu::sim::SimFirmware;

volatile std::sig_atomic_t g_stop = 0, g_restart = 0, g_record = 0, g_short = 0;

struct Options {
  std::string pty, record;
  FirmwareOptions firmware;
  double drift_ppm = 0;
  uint64_t start_clock = 0;
  uint64_t corrupt_rx = 0, drop_rx = 0, corrupt_tx = 0;
};

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "rtstep-mcu-sim: %s\n(see the comment at the top of src/mcu/sim/main.cpp for the options)\n", why.c_str());
  std::exit(2);
}

uint64_t parse_u64(const std::string& option, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (text.empty() || *end != '\0' || errno != 0) usage(option + ": \"" + text + "\" is not an integer");
  return v;
}

double parse_double(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') usage(option + ": \"" + text + "\" is not a number");
  return v;
}

// ADC_PIN=HEATER_PIN[,KEY=VALUE]...
FirmwareOptions::HeaterModel parse_heater(const std::string& text) {
  FirmwareOptions::HeaterModel h;
  std::vector<std::string> fields;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    fields.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  const auto eq = fields[0].find('=');
  if (eq == std::string::npos) usage("--heater: expected ADC_PIN=HEATER_PIN, got \"" + fields[0] + "\"");
  h.adc_pin = fields[0].substr(0, eq);
  h.heater_pin = fields[0].substr(eq + 1);
  h.plant = rtstep::thermal::SimHeaterConfig::defaults_for("extruder");
  for (std::size_t i = 1; i < fields.size(); ++i) {
    const auto at = fields[i].find('=');
    const std::string key = fields[i].substr(0, at), value = at == std::string::npos ? "" : fields[i].substr(at + 1);
    const double v = parse_double("--heater " + key, value);
    if (key == "heater_power") h.plant.heater_power = v;
    else if (key == "heat_capacity") h.plant.heat_capacity = v;
    else if (key == "ambient_loss") h.plant.ambient_loss = v;
    else if (key == "sensor_lag") h.plant.sensor_lag = v;
    else if (key == "noise") h.plant.noise = v;
    else if (key == "ambient_temp") h.plant.ambient_temp = v;
    else if (key == "seed") h.plant.seed = static_cast<uint64_t>(v);
    else usage("--heater: unknown key \"" + key + "\"");
  }
  if (!(h.plant.heater_power > 0 && h.plant.heat_capacity > 0 && h.plant.ambient_loss > 0 && h.plant.sensor_lag > 0)) {
    usage("--heater: heater_power, heat_capacity, ambient_loss and sensor_lag must be positive");
  }
  return h;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(a + ": needs a value");
    const std::string v = argv[++i];
    if (a == "--pty") {
      o.pty = v;
    } else if (a == "--record") {
      o.record = v;
    } else if (a == "--clock-freq") {
      o.firmware.clock_hz = parse_double(a, v);
    } else if (a == "--drift-ppm") {
      o.drift_ppm = parse_double(a, v);
    } else if (a == "--start-clock") {
      o.start_clock = parse_u64(a, v);
    } else if (a == "--move-count") {
      o.firmware.move_count = static_cast<uint32_t>(parse_u64(a, v));
    } else if (a == "--id-seed") {
      o.firmware.id_seed = static_cast<uint32_t>(parse_u64(a, v));
    } else if (a == "--legacy-adc") {
      o.firmware.legacy_adc = v == "1";
    } else if (a == "--omit") {
      o.firmware.omit.insert(v);
    } else if (a == "--adc") {
      const auto eq = v.find('=');
      if (eq == std::string::npos) usage("--adc: expected PIN=RAW, got \"" + v + "\"");
      o.firmware.adc_raw[v.substr(0, eq)] = static_cast<uint16_t>(parse_u64(a, v.substr(eq + 1)));
    } else if (a == "--endstop") {
      const auto eq = v.find('='), colon = v.find(':');
      if (eq == std::string::npos || colon == std::string::npos || colon < eq) usage("--endstop: expected PIN=STEP_PIN:POSITION");
      o.firmware.endstops[v.substr(0, eq)] = {v.substr(eq + 1, colon - eq - 1),
                                              static_cast<int64_t>(std::strtoll(v.c_str() + colon + 1, nullptr, 10))};
    } else if (a == "--heater") {
      o.firmware.heaters.push_back(parse_heater(v));
    } else if (a == "--corrupt-rx") {
      o.corrupt_rx = parse_u64(a, v);
    } else if (a == "--drop-rx") {
      o.drop_rx = parse_u64(a, v);
    } else if (a == "--corrupt-tx") {
      o.corrupt_tx = parse_u64(a, v);
    } else {
      usage("unknown option " + a);
    }
  }
  if (o.pty.empty()) usage("--pty PATH is required");
  if (!(o.firmware.clock_hz > 0)) usage("--clock-freq must be positive");
  return o;
}

// The crystal: MCU ticks since boot at `hz * (1 + drift)`, from `start` (the clock at boot).
struct Crystal {
  double hz;
  uint64_t start;
  int64_t boot_ns;
  uint64_t clock(int64_t ns) const { return start + static_cast<uint64_t>(static_cast<double>(ns - boot_ns) * hz * 1e-9); }
  int64_t host_ns(uint64_t clock) const {
    return boot_ns + static_cast<int64_t>(static_cast<double>(clock - start) / hz * 1e9);
  }
};

// A pseudo-terminal whose slave side is raw and stays open here (so the master never sees a hang-up when
// a host closes it), with `link` pointing at the slave.
int open_pty(const std::string& link) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) usage(std::string("posix_openpt: ") + std::strerror(errno));
  const char* name = ::ptsname(master);
  const int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) usage(std::string(name) + ": " + std::strerror(errno));
  termios2 t{};
  ::ioctl(slave, TCGETS2, &t);
  t.c_iflag = 0;
  t.c_oflag = 0;
  t.c_lflag = 0;
  t.c_cflag = CS8 | CREAD | CLOCAL | BOTHER;
  t.c_ispeed = t.c_ospeed = 250000;
  ::ioctl(slave, TCSETS2, &t);
  ::unlink(link.c_str());
  if (::symlink(name, link.c_str()) != 0) usage(link + ": symlink: " + std::strerror(errno));
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  return master;  // the slave descriptor stays open for the life of the process
}

void write_record(const Options& o, const SimFirmware& fw, const std::vector<Crystal>& boots) {
  if (o.record.empty()) return;
  const std::string tmp = o.record + ".tmp";
  {
    std::ofstream f(tmp);
    f << "clock_hz " << static_cast<int64_t>(o.firmware.clock_hz) << " drift_ppm " << o.drift_ppm << "\n";
    f << "restarts " << fw.restarts() << "\nnaks " << fw.naks_sent() << "\nconfig_crc " << fw.config_crc() << "\n";
    for (const auto& s : fw.steppers()) {
      f << "stepper " << int{s.oid} << " " << s.step_pin << " " << s.steps << " " << s.position << "\n";
    }
    for (const auto& s : fw.shutdowns()) f << "shutdown " << s << "\n";
    for (const auto& out : fw.outputs()) {
      f << "out " << int{out.oid} << " " << out.clock << " " << out.on_ticks << " " << fw.output_pin(out.oid) << "\n";
    }
    const std::vector<double> temps = fw.heater_temperatures();
    for (std::size_t i = 0; i < temps.size(); ++i) f << "heater " << o.firmware.heaters[i].adc_pin << " " << temps[i] << "\n";
    for (const auto& s : fw.steps()) {
      f << "step " << s.boot << " " << int{s.oid} << " " << s.clock << " " << int{s.dir} << " "
        << boots[s.boot].host_ns(s.clock) << "\n";
    }
  }
  std::rename(tmp.c_str(), o.record.c_str());
}

// Output waiting for room in the pty, with the injected transmit corruption.
struct Line {
  int fd;
  uint64_t corrupt_tx;
  uint64_t sent = 0;
  std::vector<uint8_t> pending;

  void send(std::vector<uint8_t> bytes) {
    for (uint8_t& b : bytes) {
      if (corrupt_tx != 0 && ++sent % corrupt_tx == 0) b ^= 0x55;
    }
    pending.insert(pending.end(), bytes.begin(), bytes.end());
    flush();
  }
  void flush() {
    while (!pending.empty()) {
      const ssize_t n = ::write(fd, pending.data(), pending.size());
      if (n <= 0) return;  // EAGAIN: the host is not reading; poll for POLLOUT
      pending.erase(pending.begin(), pending.begin() + n);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  struct sigaction sa{};
  sa.sa_handler = [](int sig) {
    if (sig == SIGUSR1) g_restart = 1;
    else if (sig == SIGUSR2) g_record = 1;
    else if (sig == SIGHUP) g_short = 1;
    else g_stop = 1;
  };
  for (const int sig : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP}) sigaction(sig, &sa, nullptr);

  SimFirmware fw(o.firmware);
  const double hz = o.firmware.clock_hz * (1 + o.drift_ppm * 1e-6);
  std::vector<Crystal> boots{{hz, o.start_clock, monotonic_ns()}};
  Line line{open_pty(o.pty), o.corrupt_tx, 0, {}};
  std::printf("rtstep-mcu-sim: %s ready (%zu messages)\n", o.pty.c_str(), fw.dictionary().message_count());
  std::fflush(stdout);

  uint64_t received = 0;
  std::vector<uint8_t> buffer(4096);
  while (g_stop == 0) {
    const auto now = [&] { return boots.back().clock(monotonic_ns()); };
    line.send(fw.advance(now()));
    const uint64_t next = fw.next_event(), t = now();
    const double ms = next == UINT64_MAX ? 10 : static_cast<double>(next > t ? next - t : 0) / hz * 1e3;
    pollfd p{line.fd, static_cast<short>(POLLIN | (line.pending.empty() ? 0 : POLLOUT)), 0};
    ::poll(&p, 1, static_cast<int>(std::min(ms + 1, 10.0)));
    line.flush();
    const ssize_t n = (p.revents & POLLIN) != 0 ? ::read(line.fd, buffer.data(), buffer.size()) : 0;
    if (n > 0) {
      std::vector<uint8_t> in;
      for (ssize_t i = 0; i < n; ++i) {
        ++received;
        if (o.drop_rx != 0 && received >= o.drop_rx && received % o.drop_rx < 8) continue;
        in.push_back(o.corrupt_rx != 0 && received % o.corrupt_rx == 0 ? buffer[static_cast<std::size_t>(i)] ^ 0x20
                                                                        : buffer[static_cast<std::size_t>(i)]);
      }
      line.send(fw.receive(in, now()));
    }
    if (fw.take_reset_request() || g_restart != 0) {
      g_restart = 0;
      boots.push_back({hz, 0, monotonic_ns()});
      line.pending.clear();
      line.send(fw.restart());
    }
    if (g_short != 0) {
      g_short = 0;
      fw.short_heater_sensors();
    }
    if (g_record != 0) {
      g_record = 0;
      write_record(o, fw, boots);
    }
  }
  write_record(o, fw, boots);
  ::unlink(o.pty.c_str());
  return 0;
}
