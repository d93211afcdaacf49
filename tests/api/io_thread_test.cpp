// The API thread: placed (named) as asked, runs posted work, and run_on waits for it.

#include "api/io_thread.hpp"

#include <pthread.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

namespace rtstep::api {
namespace {

TEST(IoThread, RunsOnANamedThreadAndRunOnWaits) {
  ThreadPlacement placement;
  placement.name = "rtstep-apitest";
  IoThread io(placement);
  std::string name;
  bool on_thread = false;
  run_on(*io.context(), [&] {
    std::array<char, 16> buf{};
    pthread_getname_np(pthread_self(), buf.data(), buf.size());
    name = buf.data();
    on_thread = io.on_this_thread();
  });
  EXPECT_EQ(name, "rtstep-apitest");
  EXPECT_TRUE(on_thread);
  EXPECT_FALSE(io.on_this_thread());
}

TEST(IoThread, ARefusedPlacementIsLoggedAndTheThreadRunsAnyway) {
  ThreadPlacement placement;
  placement.cpus = {100000};  // no such CPU: nothing to set, the affinity call is refused
  std::string logged;
  std::mutex mutex;
  IoThread io(placement, [&](const std::string& line) {
    std::lock_guard lock(mutex);
    logged += line;
  });
  bool ran = false;
  run_on(*io.context(), [&] { ran = true; });
  EXPECT_TRUE(ran);
  std::lock_guard lock(mutex);
  EXPECT_NE(logged.find("api thread: CPU affinity refused"), std::string::npos) << logged;
}

TEST(PostIfAlive, DropsWorkOnceTheContextIsGone) {
  std::weak_ptr<asio::io_context> weak;
  {
    IoThread io;
    weak = io.context();
  }
  bool ran = false;
  post_if_alive(weak, [&] { ran = true; });
  EXPECT_FALSE(ran);
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace rtstep::api
