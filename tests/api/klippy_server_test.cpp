// Klipper's API server over a real Unix socket, with the test's FakeBackend as the controller: framing,
// ids, every kind of bad input, the socket file's mode, re-creation, slow clients, subscriptions.

#include "api/klippy_server.hpp"

#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "api/klippy_protocol.hpp"
#include "api_test_util.hpp"

namespace rtstep::api {
namespace {

using testing::FakeBackend;
using testing::LogSink;
using testing::SocketClient;
using testing::TempDir;
using testing::wait_until;

class KlippyServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void start(int64_t period_ns = 250'000'000) {
    KlippyServerOptions options;
    options.path = dir.file("klippy.sock");
    options.log = log.fn();
    options.update_period_ns = period_ns;
    server = std::make_unique<KlippyServer>(io, backend, std::move(options));
    const Status opened = server->open();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
  }
  void TearDown() override { server.reset(); }
  std::string path() const { return server->path(); }

  TempDir dir;
  LogSink log;
  FakeBackend backend;
  IoThread io;
  std::unique_ptr<KlippyServer> server;
};

TEST_F(KlippyServerTest, InfoCarriesWhatMoonrakerNeedsInEveryState) {
  SocketClient client(path());
  ASSERT_TRUE(client.connected());
  auto reply = client.call(1, "info", Json{{"client_info", {{"program", "Moonraker"}, {"version", "v0.9"}}}});
  ASSERT_TRUE(reply);
  const Json& result = (*reply)["result"];
  EXPECT_EQ(result["state"], "startup");
  for (const char* key : {"state_message", "hostname", "software_version", "klipper_path", "python_path", "config_file",
                          "log_file", "process_id", "user_id", "group_id"}) {
    EXPECT_TRUE(result.contains(key)) << key;
  }
  EXPECT_TRUE(result["klipper_path"].is_string());
  EXPECT_TRUE(result["python_path"].is_string());
  EXPECT_TRUE(wait_until([&] { return log.contains("Moonraker"); })) << "client_info is logged";

  HostStatus host;
  host.state = "ready";
  host.state_message = "Printer is ready";
  host.info = {{"config_file", "/home/pi/printer.cfg"}, {"software_version", "rtstep 0.9"}};
  host.objects = {"webhooks", "toolhead", "virtual_sdcard", "display_status", "pause_resume"};
  host.endpoints = {"pause_resume/pause", "gcode/help"};
  server->publish(host);
  reply = client.call(2, "info");
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"]["state"], "ready");
  EXPECT_EQ((*reply)["result"]["config_file"], "/home/pi/printer.cfg");
  EXPECT_EQ((*reply)["result"]["software_version"], "rtstep 0.9");
  reply = client.call(3, "objects/list");
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"]["objects"], Json(host.objects));
  reply = client.call(4, "list_endpoints");
  ASSERT_TRUE(reply);
  const Json& endpoints = (*reply)["result"]["endpoints"];
  for (const char* name : {"info", "objects/subscribe", "gcode/script", "gcode/subscribe_output",
                           "register_remote_method", "pause_resume/pause"}) {
    EXPECT_NE(std::find(endpoints.begin(), endpoints.end(), Json(name)), endpoints.end()) << name;
  }
  reply = client.call(5, "pause_resume/pause");
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, Json::parse(R"({"id": 5, "result": {}})")) << "published endpoints go to the controller";
}

TEST_F(KlippyServerTest, FramesSplitAcrossWritesAndSeveralInOneWrite) {
  SocketClient client(path());
  const std::string first = Json{{"id", 1}, {"method", "objects/list"}}.dump() + '\x03';
  ASSERT_TRUE(client.send_raw(first.substr(0, 10)));
  EXPECT_FALSE(client.read(std::chrono::milliseconds(100))) << "half a message is not answered";
  const std::string two =
      Json{{"id", 2}, {"method", "objects/list"}}.dump() + '\x03' + Json{{"id", 3}, {"method", "info"}}.dump() + '\x03';
  ASSERT_TRUE(client.send_raw(first.substr(10) + two));
  std::vector<Json> ids;
  for (int i = 0; i < 3; ++i) {
    auto reply = client.read();
    ASSERT_TRUE(reply);
    ids.push_back((*reply)["id"]);
  }
  EXPECT_EQ(ids, (std::vector<Json>{1, 2, 3}));
}

TEST_F(KlippyServerTest, IdsComeBackVerbatimAndNoIdMeansNoReply) {
  SocketClient client(path());
  ASSERT_TRUE(client.send_raw("{\"id\": 9223372036854775807, \"method\": \"objects/list\"}\x03"));
  auto reply = client.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"].get<int64_t>(), std::numeric_limits<int64_t>::max());
  for (const Json& id : {Json(18446744073709551615ULL), Json("moon-7"), Json(1.5), Json::array({1, "x"})}) {
    reply = client.call(id, "objects/list");
    ASSERT_TRUE(reply) << id;
    EXPECT_EQ((*reply)["id"], id);
  }
  ASSERT_TRUE(client.send(Json{{"method", "objects/list"}}));
  ASSERT_TRUE(client.send(Json{{"id", nullptr}, {"method", "objects/list"}}));
  reply = client.call(77, "objects/list");
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"], 77) << "the id-less requests were not answered";
}

TEST_F(KlippyServerTest, MalformedJsonIsLoggedAndSkippedAndTheClientStays) {
  SocketClient client(path());
  ASSERT_TRUE(client.send_raw("{\"id\": 1, \"method\": \x03"));
  ASSERT_TRUE(client.send_raw("[1,2]\x03"));
  auto reply = client.call(2, "objects/list");
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["id"], 2);
  EXPECT_TRUE(wait_until([&] { return log.contains("request skipped: Malformed JSON: "); })) << log.all();
  EXPECT_TRUE(log.contains("request skipped: Invalid request: not a JSON object"));
}

TEST_F(KlippyServerTest, InvalidRequestsWithAnIdGetAnErrorReply) {
  SocketClient client(path());
  const auto expect_error = [&](const std::string& raw, int id, const std::string& message) {
    ASSERT_TRUE(client.send_raw(raw + '\x03'));
    auto reply = client.read();
    ASSERT_TRUE(reply) << raw;
    EXPECT_EQ(*reply, make_error(id, message)) << raw;
  };
  expect_error(R"({"id": 1})", 1, "Invalid request: missing 'method'");
  expect_error(R"({"id": 2, "method": ["info"]})", 2, "Invalid request: 'method' is not a string");
  expect_error(R"({"id": 3, "method": "info", "params": [1]})", 3, "Invalid request: 'params' is not an object");
  expect_error(R"({"id": 4, "method": "no/such"})", 4, "webhooks: No registered callback for path 'no/such'");
  expect_error(R"({"id": 5, "method": "gcode/script"})", 5, "Missing Argument [script]");
  expect_error(R"({"id": 6, "method": "gcode/script", "params": {"script": 5}})", 6, "Invalid Argument Type [script]");
  expect_error(R"({"id": 7, "method": "objects/query", "params": {"objects": {"toolhead": "x"}}})", 7,
               "Invalid argument");
  expect_error(R"({"id": 8, "method": "objects/subscribe", "params": {}})", 8, "Missing Argument [objects]");
  expect_error(R"({"id": 9, "method": "register_remote_method", "params": {"response_template": {}}})", 9,
               "Missing Argument [remote_method]");
  expect_error(R"({"id": 10, "method": "info", "params": {"client_info": "me"}})", 10,
               "Invalid Argument Type [client_info]");
}

TEST_F(KlippyServerTest, ScriptsRunThroughTheBackendAndAnswerWhenDone) {
  SocketClient client(path());
  auto reply = client.call(1, "gcode/script", Json{{"script", "G28"}});
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, Json::parse(R"({"id": 1, "result": {}})"));
  reply = client.call(2, "gcode/script", Json{{"script", "FAIL"}});
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, make_error(2, "Unknown command:\"FAIL\""));

  ASSERT_TRUE(client.send(Json{{"id", 3}, {"method", "gcode/script"}, {"params", {{"script", "LONG"}}}}));
  ASSERT_TRUE(wait_until([&] { return backend.held() == 1; }));
  reply = client.call(4, "info");
  ASSERT_TRUE(reply) << "other requests are answered while a script runs";
  backend.release();
  reply = client.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, Json::parse(R"({"id": 3, "result": {}})"));
  EXPECT_EQ(backend.scripts(), (std::vector<std::string>{"G28", "FAIL", "LONG"}));
}

TEST_F(KlippyServerTest, ARequestTheControllerDropsIsStillAnswered) {
  HostStatus host;
  host.endpoints = {"drop"};
  server->publish(host);
  SocketClient client(path());
  auto reply = client.call(1, "drop");
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, make_error(1, "Request dropped: rtstep stopped before answering"));
}

TEST_F(KlippyServerTest, EmergencyStopReachesTheBackend) {
  SocketClient client(path());
  auto reply = client.call(1, "emergency_stop");
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"], Json::object());
  EXPECT_EQ(backend.stops(), std::vector<std::string>{"Shutdown due to webhooks request"});
}

TEST_F(KlippyServerTest, AMessageOverOneMebibyteDropsOnlyThatClient) {
  SocketClient big(path());
  SocketClient other(path());
  ASSERT_TRUE(other.call(1, "info"));
  const std::string huge = "{\"id\": 1, \"method\": \"info\", \"params\": {\"x\": \"" + std::string(1 << 20, 'a');
  big.send_raw(huge);  // may fail part-way once the server has closed the connection
  EXPECT_TRUE(big.wait_closed());
  EXPECT_TRUE(wait_until([&] { return log.contains("dropped: message over 1048576 bytes"); })) << log.all();
  EXPECT_TRUE(other.call(2, "info")) << "the other client is served on";
}

TEST_F(KlippyServerTest, AClientThatStopsReadingIsDroppedWithoutBlockingOthers) {
  SocketClient slow(path(), 4096);
  SocketClient other(path());
  ASSERT_TRUE(slow.call(1, "gcode/subscribe_output", Json{{"response_template", {{"method", "out"}}}}));
  ASSERT_TRUE(other.call(1, "info"));
  ASSERT_TRUE(wait_until([&] { return backend.output_subscribers() == 1; }));
  // 8 MiB of output to a client that reads nothing: more than its 4 MiB buffer plus the kernel's.
  const std::string line(64 * 1024, 'x');
  for (int i = 0; i < 128; ++i) backend.output(line);
  EXPECT_TRUE(wait_until([&] { return log.contains("output buffer over 4194304 bytes: the client does not read"); }))
      << log.all();
  EXPECT_TRUE(wait_until([&] { return server->client_count() == 1; }));
  EXPECT_TRUE(other.call(2, "info")) << "the server loop was never blocked";
}

TEST_F(KlippyServerTest, AClientGoneBeforeItsReplyIsForgotten) {
  {
    SocketClient client(path());
    ASSERT_TRUE(client.send(Json{{"id", 1}, {"method", "gcode/script"}, {"params", {{"script", "LONG"}}}}));
    ASSERT_TRUE(wait_until([&] { return backend.held() == 1; }));
  }
  ASSERT_TRUE(wait_until([&] { return server->client_count() == 0; }));
  EXPECT_GE(backend.closed_count(), 1u);
  backend.release();  // the reply has nowhere to go, and must not crash anything
  SocketClient next(path());
  EXPECT_TRUE(next.call(2, "info"));
}

TEST_F(KlippyServerTest, SocketIsOwnerOnlyAndReCreatedOnRestart) {
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  SocketClient client(path());
  ASSERT_TRUE(client.call(1, "info"));
  const Status restarted = server->restart();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  EXPECT_TRUE(client.wait_closed()) << "RESTART closes every client";
  SocketClient again(path());
  ASSERT_TRUE(again.connected());
  EXPECT_TRUE(again.call(2, "info"));
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  server->close();
  EXPECT_NE(::access(path().c_str(), F_OK), 0) << "closing removes the socket file";
}

TEST_F(KlippyServerTest, AStaleSocketIsReplacedButALiveOneOrAFileIsNot) {
  // A second server on the same path while the first serves: refused.
  KlippyServerOptions options;
  options.path = path();
  options.log = log.fn();
  FakeBackend other_backend;
  KlippyServer second(io, other_backend, options);
  const Status live = second.open();
  ASSERT_FALSE(live.ok());
  EXPECT_EQ(live.error().message, path() + ": another process is serving on this socket");

  // The first one goes away without cleaning up (a crash): its socket file is stale, and replaced.
  server->close();
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path().c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  const Status stale = second.open();
  ASSERT_TRUE(stale.ok()) << stale.error().message;
  SocketClient client(path());
  EXPECT_TRUE(client.call(1, "info"));
  second.close();

  std::ofstream(path()) << "not a socket";
  const Status file = second.open();
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().message, path() + ": exists and is not a socket; not removing it");
}

TEST_F(KlippyServerTest, AGroupMakesTheSocketGroupWritableButNeverWorldWritable) {
  server->close();
  const struct group* own = ::getgrgid(::getgid());
  ASSERT_NE(own, nullptr);
  KlippyServerOptions options;
  options.path = path();
  options.group = own->gr_name;
  options.log = log.fn();
  KlippyServer grouped(io, backend, options);
  const Status opened = grouped.open();
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_gid, ::getgid());
}

TEST_F(KlippyServerTest, AnUnknownGroupIsAnError) {
  server->close();
  KlippyServerOptions options;
  options.path = path();
  options.group = "no-such-group-rtstep";
  options.log = log.fn();
  KlippyServer grouped(io, backend, options);
  const Status opened = grouped.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().message, path() + ": unknown group 'no-such-group-rtstep'");
  EXPECT_NE(::access(path().c_str(), F_OK), 0) << "no socket is left behind";
}

TEST_F(KlippyServerTest, SubscriptionSendsTheFullStatusThenOnlyChangesInTheTemplate) {
  server.reset();
  start(20'000'000);  // a short period keeps the test quick; the cadence itself is tested on a fake clock
  backend.set_status(Json::parse(R"({"webhooks": {"state": "ready", "state_message": "Printer is ready"},
                                     "toolhead": {"position": [0, 0, 0, 0], "homed_axes": ""}})"));
  SocketClient client(path());
  auto reply = client.call(1, "objects/subscribe",
                           Json{{"objects", {{"webhooks", nullptr}, {"toolhead", {"homed_axes"}}}},
                                {"response_template", {{"method", "process_status_update"}}}});
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"]["status"], Json::parse(R"({"webhooks": {"state": "ready",
      "state_message": "Printer is ready"}, "toolhead": {"homed_axes": ""}})"));
  EXPECT_TRUE((*reply)["result"]["eventtime"].is_number());

  backend.set_status(Json::parse(R"({"webhooks": {"state": "shutdown", "state_message": "Printer is ready"},
                                     "toolhead": {"position": [5, 0, 0, 0], "homed_axes": ""}})"));
  auto update = client.read();
  ASSERT_TRUE(update);
  EXPECT_EQ((*update)["method"], "process_status_update");
  EXPECT_EQ((*update)["params"]["status"], Json::parse(R"({"webhooks": {"state": "shutdown"}})"))
      << "only the changed field, and not the unsubscribed position";

  reply = client.call(2, "objects/query", Json{{"objects", {{"toolhead", {"position"}}, {"nope", nullptr}}}});
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"]["status"], Json::parse(R"({"toolhead": {"position": [5, 0, 0, 0]}, "nope": {}})"));
}

TEST_F(KlippyServerTest, GcodeOutputAndRemoteMethodsReachTheirClients) {
  SocketClient client(path());
  ASSERT_TRUE(
      client.call(1, "gcode/subscribe_output", Json{{"response_template", {{"method", "process_gcode_response"}}}}));
  ASSERT_TRUE(client.call(
      2, "register_remote_method",
      Json{{"response_template", {{"method", "timelapse_newframe"}}}, {"remote_method", "timelapse_newframe"}}));
  SocketClient quiet(path());
  ASSERT_TRUE(quiet.call(1, "info"));

  backend.output("// Klipper state: Ready");
  auto message = client.read();
  ASSERT_TRUE(message);
  EXPECT_EQ(*message,
            Json::parse(R"({"method": "process_gcode_response", "params": {"response": "// Klipper state: Ready"}})"));

  EXPECT_TRUE(backend.call_remote("timelapse_newframe", Json{{"macropos", 1}}));
  message = client.read();
  ASSERT_TRUE(message);
  EXPECT_EQ(*message, Json::parse(R"({"method": "timelapse_newframe", "params": {"macropos": 1}})"));
  EXPECT_FALSE(quiet.read(std::chrono::milliseconds(100))) << "only subscribers get output";

  client.close();
  ASSERT_TRUE(wait_until([&] { return server->client_count() == 1; }));
  EXPECT_FALSE(backend.call_remote("timelapse_newframe", Json::object())) << "a closed client's methods are gone";
}

}  // namespace
}  // namespace rtstep::api
