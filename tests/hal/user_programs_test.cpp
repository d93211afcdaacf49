// loadusr, waitusr and unloadusr (user_programs.cpp) and the tool bridge for child processes
// (tool_socket.cpp): built-in tools in the background, real child processes (sh), and shell scripts that
// run rtstep's halstreamer and halsampler on this process's HAL through the rtstep binary.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "hal/user_programs.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

const std::string kRtstep = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";

// A private temporary directory, removed with its files.
class TempDir {
 public:
  TempDir() {
    std::string t = ::testing::TempDir() + "halusr.XXXXXX";
    path_ = ::mkdtemp(t.data()) != nullptr ? t : "";
  }
  ~TempDir() { (void)std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string& name, const std::string& text = {}) const {
    const std::string p = path_ + "/" + name;
    if (!text.empty()) std::ofstream(p) << text;
    return p;
  }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A streamer feeding a sampler through signals, on a 1 ms thread run in virtual time.
constexpr const char* kLoop =
    "loadrt threads name1=t period1=1000000\n"
    "loadrt streamer cfg=bf depth=16\nloadrt sampler cfg=bf depth=16\n"
    "net b streamer.0.pin.0 => sampler.0.pin.0\nnet f streamer.0.pin.1 => sampler.0.pin.1\n"
    "addf streamer.0 t\naddf sampler.0 t\n";

TEST(UserPrograms, LoadusrOptionsGroupAsGetopt) {
  const std::vector<std::string> a{"-Wn", "feeder", "-i", "halstreamer", "-c", "1", "rows.txt"};
  auto r = parse_loadusr(a);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->wait_ready);
  EXPECT_TRUE(r->ignore_status);
  EXPECT_FALSE(r->wait);
  EXPECT_EQ(r->name, "feeder");
  EXPECT_EQ(r->argv, (std::vector<std::string>{"halstreamer", "-c", "1", "rows.txt"}));
  const std::vector<std::string> bad{"-x", "prog"};
  EXPECT_EQ(parse_loadusr(bad).error().message, "loadusr: unknown option '-x' (-w, -W, -i, -n NAME)");
  const std::vector<std::string> none{"-w"};
  EXPECT_FALSE(parse_loadusr(none).ok());
}

TEST(UserPrograms, BackgroundHalstreamerAndWaitusr) {
  TempDir dir;
  const std::string rows = dir.file("rows", "1 0.5\n0 -2\n1 3  # a comment after the values\n");
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run(std::string(kLoop) + "loadusr halstreamer " + rows + "\nwaitusr halstreamer0\n")) << s.err();
  ASSERT_TRUE(hal.run_virtual(3).ok());
  s.clear();
  ASSERT_TRUE(s.run("loadusr -w halsampler -n 3\n")) << s.err();
  EXPECT_EQ(s.out(), "1 0.500000 \n0 -2.000000 \n1 3.000000 \n");
  EXPECT_TRUE(s.run("waitusr nobody\n")) << "an unknown name has already ended, as halcmd says";
}

TEST(UserPrograms, BackgroundToolsEndAtUnloadusrAndUnloadrt) {
  Hal hal;
  Session s(hal);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.run(std::string(kLoop) + "loadusr sleep 60\nloadusr halsampler\nunloadusr sleep\n")) << s.err();
  EXPECT_LT(seconds_since(t0), 30.0) << "unloadusr ends the sleep";
  ASSERT_TRUE(s.run("unloadrt sampler\n")) << s.err();  // ends the halsampler that reads its FIFO first
  EXPECT_EQ(hal.find_component("sampler"), nullptr);
}

TEST(UserPrograms, ChildProcessStatusCounts) {
  Hal hal;
  Session s(hal);
  EXPECT_TRUE(s.run("loadusr -w true\n")) << s.err();
  EXPECT_FALSE(s.run("loadusr -w sh -c \"exit 3\"\n"));
  EXPECT_EQ(s.err(), "test.hal:1: program 'sh' failed, returned 3\n");
  s.clear();
  EXPECT_FALSE(s.run("loadrt and2\nwaitusr and2\n"));
  EXPECT_EQ(s.err(), "test.hal:2: 'and2' is not a userspace component\n");
  s.clear();
  EXPECT_TRUE(s.run("loadusr -w -i sh -c \"exit 3\"\n")) << "-i ignores the status";
  EXPECT_FALSE(s.run("loadusr -w rtstep-no-such-program\n"));
  EXPECT_EQ(s.err(), "test.hal:1: execv(rtstep-no-such-program): No such file or directory\n"
                     "test.hal:1: program 'rtstep-no-such-program' failed, returned 1\n");
}

TEST(UserPrograms, BackgroundChildIsWaitedForByNameAndStoppedAtTheEnd) {
  TempDir dir;
  const std::string mark = dir.file("mark");
  Hal hal;
  auto s = std::make_unique<Session>(hal);
  ASSERT_TRUE(s->run("loadusr -n marker sh -c \"sleep 0.2; echo done > " + mark + "\"\nwaitusr marker\n"))
      << s->err();
  EXPECT_EQ(read_file(mark), "done\n");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s->run("loadusr sh -c \"sleep 60\"\n")) << s->err();
  s->cmd().user_programs().stop_all();
  EXPECT_LT(seconds_since(t0), 30.0) << "SIGTERM ends a background child";
}

// The LinuxCNC test pattern: a shell script pipes rows into `halstreamer`, another reads `halsampler`,
// both through the rtstep binary and the tool socket of this process.
TEST(UserPrograms, ScriptsRunHalstreamerAndHalsamplerOnThisHal) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  TempDir dir;
  const std::string feed = dir.file("runstreamer", "#!/bin/sh\nhalstreamer <<EOF\n1 1.25\n0 -4\n1 8\nEOF\n");
  const std::string out = dir.file("samples");
  const std::string err = dir.file("errors");
  Hal hal;
  Session s(hal);
  s.cmd().user_programs().set_tool_executable(kRtstep);
  ASSERT_TRUE(s.run(std::string(kLoop) + "loadusr -w sh " + feed + "\n")) << s.err();
  ASSERT_TRUE(hal.run_virtual(3).ok());
  ASSERT_TRUE(s.run("loadusr -w sh -c \"halsampler -n 3 -t > " + out + "\"\n")) << s.err();
  EXPECT_EQ(read_file(out), "0 1 1.250000 \n1 0 -4.000000 \n2 1 8.000000 \n");
  // A tool's mistake is the script's failure, with the tool's message on the script's stderr.
  EXPECT_FALSE(s.run("loadusr -w sh -c \"halstreamer -c 5 < /dev/null 2> " + err + "\"\n"));
  EXPECT_EQ(read_file(err), "halstreamer: streamer channel 5 does not exist\n");
}

TEST(UserPrograms, ToolClientWithoutRtstepHalSaysWhy) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  TempDir dir;
  const std::string err = dir.file("errors");
  const int status =
      std::system(("env -u RTSTEP_HAL_SOCKET " + kRtstep + " hal --user-tool halstreamer -- < /dev/null 2> " + err).c_str());
  EXPECT_NE(status, 0);
  EXPECT_NE(read_file(err).find("halstreamer: rtstep's HAL lives inside `rtstep hal`"), std::string::npos)
      << read_file(err);
}

// rtstep hal -f on a folder laid out as LinuxCNC's tests are: the .hal file runs a feeder script and
// halsampler, and stdout is exactly the sampled rows.
TEST(UserPrograms, HalrunStyleTestFolderEndToEnd) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  TempDir dir;
  dir.file("runstreamer", "#!/bin/sh\nhalstreamer << EOF\n-2\n0.5\n-0.25\nEOF\n");
  dir.file("test.hal",
           "loadrt threads name1=fast period1=1000000\nloadrt abs\n"
           "loadrt streamer cfg=f depth=8\nloadrt sampler cfg=ff depth=64\n"
           "net in streamer.0.pin.0 => abs.0.in sampler.0.pin.0\nnet out abs.0.out => sampler.0.pin.1\n"
           "addf streamer.0 fast\naddf abs.0 fast\naddf sampler.0 fast\n"
           "loadusr -w sh runstreamer\nstart\nloadusr -w halsampler -n 3\n");
  const std::string out = dir.file("result");
  const std::string cmd = "cd " + dir.file("") + " && " + kRtstep + " hal --no-rt -f test.hal > result 2> stderr";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir.file("stderr"));
  EXPECT_EQ(read_file(out), "-2.000000 2.000000 \n0.500000 0.500000 \n-0.250000 0.250000 \n");
}

}  // namespace
}  // namespace rtstep::hal
