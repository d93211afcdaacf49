// systemd unit generation (rt/systemd_unit.hpp), checked by systemd-analyze verify where it exists.
#include "rt/systemd_unit.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace rtstep::rt {
namespace {

UnitParams params() {
  UnitParams p;
  p.binary = "/bin/true";  // an executable that exists, for systemd-analyze
  p.config = "/etc/rtstep/printer.cfg";
  p.shm_name = "rtstep-test";
  p.executor_cpus = {3};
  p.host_cpus = {0, 1, 2};
  p.executor_priority = 85;
  p.host_priority = 60;
  p.max_priority = 85;
  p.no_restart_exit_codes = {1, 5, 130};
  return p;
}

bool has_line(const std::string& text, const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; }

TEST(SystemdUnit, ExecutorAndHostUnitsCarryTheHierarchy) {
  const auto units = make_units(params());
  ASSERT_TRUE(units.ok()) << units.error().message;
  ASSERT_EQ(units->size(), 3U);
  const std::string& rt = (*units)[0].text;
  EXPECT_EQ((*units)[0].name, "rtstep-rt.service");
  EXPECT_TRUE(has_line(rt, "ExecStart=/bin/true rt --shm rtstep-test --config /etc/rtstep/printer.cfg")) << rt;
  EXPECT_TRUE(has_line(rt, "CPUAffinity=3"));
  EXPECT_TRUE(has_line(rt, "CPUSchedulingPolicy=fifo"));
  EXPECT_TRUE(has_line(rt, "CPUSchedulingPriority=85"));
  EXPECT_TRUE(has_line(rt, "LimitRTPRIO=85"));
  EXPECT_TRUE(has_line(rt, "LimitMEMLOCK=infinity"));
  EXPECT_TRUE(has_line(rt, "LimitRTTIME=infinity"));
  const std::string& host = (*units)[1].text;
  EXPECT_EQ((*units)[1].name, "rtstep-host.service");
  EXPECT_TRUE(has_line(host, "ExecStart=/bin/true run --connect rtstep-test --config /etc/rtstep/printer.cfg "
                             "/var/lib/rtstep/print.gcode"))
      << host;
  EXPECT_TRUE(has_line(host, "CPUAffinity=0-2"));
  EXPECT_TRUE(has_line(host, "CPUSchedulingPriority=60"));
  EXPECT_TRUE(has_line(host, "Nice=0"));
  EXPECT_TRUE(has_line(host, "After=rtstep-rt.service"));
}

TEST(SystemdUnit, ServeIsNotifiedWatchedAndNotRestartedAfterAnEmergencyStop) {
  const auto units = make_units(params());
  ASSERT_TRUE(units.ok()) << units.error().message;
  ASSERT_EQ(units->size(), 3U);
  EXPECT_EQ((*units)[2].name, "rtstep-serve.service");
  const std::string& serve = (*units)[2].text;
  EXPECT_TRUE(has_line(serve, "Type=notify")) << serve;
  EXPECT_TRUE(has_line(serve, "ExecStart=/bin/true serve --config /etc/rtstep/printer.cfg --api /tmp/klippy_uds "
                              "--pty /tmp/printer"))
      << serve;
  EXPECT_TRUE(has_line(serve, "WatchdogSec=10"));
  EXPECT_TRUE(has_line(serve, "KillSignal=SIGTERM"));
  EXPECT_TRUE(has_line(serve, "Restart=on-failure"));
  EXPECT_TRUE(has_line(serve, "RestartPreventExitStatus=1 5 130"));
  EXPECT_TRUE(has_line(serve, "Conflicts=rtstep-rt.service rtstep-host.service")) << "one process drives the pins";
  // Its threads place themselves ([rt]); the process starts on the host CPUs with the limits they need.
  EXPECT_TRUE(has_line(serve, "CPUAffinity=0-2"));
  EXPECT_EQ(serve.find("CPUSchedulingPolicy="), std::string::npos) << "a policy here would hold every thread";
  EXPECT_TRUE(has_line(serve, "LimitRTPRIO=85"));
  EXPECT_TRUE(has_line(serve, "LimitMEMLOCK=infinity"));
  EXPECT_TRUE(has_line(serve, "RestrictRealtime=no"));
  EXPECT_TRUE(has_line(serve, "WantedBy=multi-user.target"));

  UnitParams p = params();
  p.api_path.clear();
  p.backend = "gpiod";
  p.watchdog_s = 3;
  const std::string pty_only = make_units(p).value()[2].text;
  EXPECT_TRUE(has_line(pty_only, "ExecStart=/bin/true serve --config /etc/rtstep/printer.cfg --pty /tmp/printer "
                                 "--backend gpiod"))
      << pty_only;
  EXPECT_TRUE(has_line(pty_only, "WatchdogSec=3"));
}

TEST(SystemdUnit, AServeUnitThatCouldNotRunIsAnError) {
  UnitParams p = params();
  p.api_path = "klippy.sock";
  EXPECT_EQ(make_units(p).error().message, "systemd unit: \"klippy.sock\" must be an absolute path");
  p = params();
  p.api_path.clear();
  p.pty_path.clear();
  EXPECT_EQ(make_units(p).error().message, "systemd unit: rtstep serve needs an API socket, a printer terminal or both");
  p = params();
  p.watchdog_s = 0;
  EXPECT_EQ(make_units(p).error().message, "systemd unit: the watchdog must be at least 1 s");
}

TEST(SystemdUnit, AnOtherPolicyHostGetsItsNice) {
  UnitParams p = params();
  p.host_priority = 0;
  p.host_nice = -5;
  const std::string host = make_units(p).value()[1].text;
  EXPECT_TRUE(has_line(host, "CPUSchedulingPolicy=other"));
  EXPECT_TRUE(has_line(host, "Nice=-5"));
  EXPECT_EQ(host.find("CPUSchedulingPriority="), std::string::npos);
}

TEST(SystemdUnit, BadParametersAreErrors) {
  UnitParams p = params();
  p.config = "printer.cfg";
  EXPECT_EQ(make_units(p).error().message, "systemd unit: config \"printer.cfg\" must be an absolute path");
  p = params();
  p.binary = "rtstep";
  EXPECT_FALSE(make_units(p).ok());
  p = params();
  p.executor_priority = 0;
  EXPECT_FALSE(make_units(p).ok());
  p = params();
  p.shm_name = "a/b";
  EXPECT_EQ(make_units(p).error().message, "systemd unit: bad shared-memory name \"a/b\"");
}

// Runs systemd-analyze verify on the files; returns its combined output ("" = clean), or nullopt
// when systemd-analyze is not installed.
std::optional<std::string> verify(const std::vector<UnitFile>& units) {
  if (access("/usr/bin/systemd-analyze", X_OK) != 0) return std::nullopt;
  const auto dir = std::filesystem::temp_directory_path() / ("rtstep-units-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string command = "/usr/bin/systemd-analyze verify";
  for (const auto& u : units) {
    std::ofstream(dir / u.name) << u.text;
    command += " " + (dir / u.name).string();
  }
  command += " 2>&1";
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    pclose(pipe);
  }
  std::filesystem::remove_all(dir);
  return out;
}

TEST(SystemdUnit, SystemdAnalyzeVerifiesThem) {
  const auto units = make_units(params()).value();
  const auto out = verify(units);
  if (!out) GTEST_SKIP() << "systemd-analyze not installed";
  EXPECT_EQ(*out, "");
  // The check can fail: a directive systemd does not know is reported.
  auto broken = units;
  broken[0].text += "[Service]\nCPUSchedulingPolicy=fastest\n";
  EXPECT_NE(verify(broken)->find("CPU scheduling policy"), std::string::npos);
  // The serve unit's keys are checked too.
  broken = units;
  broken[2].text += "[Service]\nType=notfy\nRestartPreventExitStatus=x5\n";
  const std::string serve_out = *verify(broken);
  EXPECT_NE(serve_out.find("service type"), std::string::npos) << serve_out;
  EXPECT_NE(serve_out.find("x5"), std::string::npos) << serve_out;
}

}  // namespace
}  // namespace rtstep::rt
