// systemd units quote their paths by systemd's rules, and `cmake --install` puts the binary where the docs
// and the units say (issue 19, item 8).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <gtest/gtest.h>

#include "cli/tools.hpp"
#include "rtstep_process.hpp"
#include "scratch_dir.hpp"

namespace rtstep::cli {
namespace {

class Units : public ScratchDirTest {
 protected:
  Units() : ScratchDirTest("rtstep-units") {}
};

std::string line_of(const std::string& text, const std::string& start) {
  const auto at = text.find("\n" + start);
  return at == std::string::npos ? std::string() : text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen((command + " 2>&1").c_str(), "r")) {
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    pclose(pipe);
  }
  return out;
}

TEST_F(Units, PathsWithSpacesPercentAndDollarAreQuotedAsSystemdReadsThem) {
  const auto dir = dir_ / "my printer";
  std::filesystem::create_directories(dir);
  const std::string config = (dir / "printer 100%.cfg").string();
  std::filesystem::copy_file(kSource + "/examples/printer.cfg", config);
  // An executable whose path has a space: systemd-analyze verify checks that ExecStart's first word is it.
  const std::string binary = (dir / "rt step").string();
  std::filesystem::copy_file("/bin/true", binary);
  UnitOptions o;
  o.config_path = config;
  o.binary = binary;
  o.gcode = "/var/lib/rtstep/$job.gcode";
  auto units = units_for(o);
  ASSERT_TRUE(units.ok()) << units.error().message;
  const std::string d = dir.string();
  EXPECT_EQ(line_of((*units)[0].text, "ExecStart="),
            "ExecStart=\"" + d + "/rt step\" rt --shm rtstep --config \"" + d + "/printer 100%%.cfg\" --backend auto");
  EXPECT_EQ(line_of((*units)[1].text, "ExecStart="),
            "ExecStart=\"" + d + "/rt step\" run --connect rtstep --config \"" + d +
                "/printer 100%%.cfg\" /var/lib/rtstep/$$job.gcode");
  EXPECT_EQ(line_of((*units)[2].text, "ExecStart="),
            "ExecStart=\"" + d + "/rt step\" serve --config \"" + d +
                "/printer 100%%.cfg\" --api /tmp/klippy_uds --pty /tmp/printer --backend auto");
  if (access("/usr/bin/systemd-analyze", X_OK) != 0) GTEST_SKIP() << "systemd-analyze is not installed";
  std::string files;
  for (const auto& u : *units) files += " '" + write(u.name, u.text) + "'";
  const std::string verify = command_output("/usr/bin/systemd-analyze verify" + files);
  EXPECT_EQ(verify.find("rt step"), std::string::npos) << verify;
  EXPECT_EQ(verify.find("quot"), std::string::npos) << verify;
  EXPECT_EQ(verify.find("specifier"), std::string::npos) << verify;
}

TEST_F(Units, CmakeInstallPutsTheBinaryWhereTuningSaysItIs) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs the built binary: " << kRtstep;
  const std::string tuning = read_all(kSource + "/docs/TUNING.md");
  ASSERT_NE(tuning.find("/usr/local/bin/rtstep"), std::string::npos);
  const std::string prefix = (dir_ / "usr" / "local").string();
  const std::string log = command_output("cmake --install '" + std::string(RTSTEP_BINARY_DIR) + "' --prefix '" + prefix + "'");
  const std::string binary = prefix + "/bin/rtstep";
  struct stat st {};
  ASSERT_EQ(stat(binary.c_str(), &st), 0) << log;
  EXPECT_NE(st.st_mode & S_IXUSR, 0u);
  EXPECT_TRUE(std::filesystem::exists(prefix + "/share/doc/rtstep/LICENSE")) << log;
  EXPECT_TRUE(std::filesystem::exists(prefix + "/share/doc/rtstep/docs/cli.md")) << log;
  EXPECT_EQ(command_output("'" + binary + "' --version").rfind("rtstep ", 0), 0u);
}

}  // namespace
}  // namespace rtstep::cli
