// tests/api/klippy_client.py — Moonraker's conversation in the Python standard library — against the API
// server and the FakeBackend. python3 comes from scripts/install-deps.sh.

#include <stdio.h>

#include <thread>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "api/klippy_server.hpp"
#include "api_test_util.hpp"

namespace rtstep::api {
namespace {

using testing::FakeBackend;
using testing::TempDir;

TEST(KlippyClientScript, MoonrakersConversationChecksOut) {
  ASSERT_EQ(std::system("python3 --version > /dev/null 2>&1"), 0) << "python3 not found: scripts/install-deps.sh installs it";
  TempDir dir;
  FakeBackend backend;
  backend.set_status(Json::parse(R"({"webhooks": {"state": "ready", "state_message": "Printer is ready"},
      "print_stats": {"state": "standby", "filename": ""}, "toolhead": {"position": [0, 0, 0, 0]}})"));
  IoThread io;
  KlippyServerOptions options;
  options.path = dir.file("klippy.sock");
  KlippyServer server(io, backend, options);
  ASSERT_TRUE(server.open().ok());

  // Ready after a moment, as a controller that is still reading its configuration would be.
  std::thread controller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    HostStatus host;
    host.state = "ready";
    host.state_message = "Printer is ready";
    host.objects = {"webhooks", "print_stats", "toolhead", "virtual_sdcard", "display_status", "pause_resume"};
    server.publish(host);
    // Moves the toolhead once the client has subscribed, for its status update.
    testing::wait_until([&] { return backend.scripts().size() >= 2; });
    backend.set_status(Json::parse(R"({"webhooks": {"state": "ready", "state_message": "Printer is ready"},
        "print_stats": {"state": "standby", "filename": ""}, "toolhead": {"position": [10, 20, 30, 0]}})"));
  });

  const std::string command = "python3 " RTSTEP_SOURCE_DIR "/tests/api/klippy_client.py " + options.path + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char chunk[4096];
  while (const std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) output.append(chunk, n);
  const int status = ::pclose(pipe);
  controller.join();
  EXPECT_NE(output.find("klippy_client: all checks passed"), std::string::npos) << output;
  EXPECT_EQ(output.find("FAILED"), std::string::npos) << output;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(backend.scripts(), (std::vector<std::string>{"M105", "SAY hello", "FAIL"}));
}

}  // namespace
}  // namespace rtstep::api
