// HostLink::wait_for_executor: a host chooses its print-time origin only once the executor runs, so a
// `rtstep rt` that is slow to start (memory lock, pins, trace buffers) cannot make the first edge late.
#include "cli/host_link.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace rtstep::cli {
namespace {

using namespace std::chrono_literals;

std::string ring_name(const char* what) { return "/rtstep-hostlink-" + std::to_string(getpid()) + "-" + what; }

// Beats for the executor on its own thread, as `rtstep rt` does while it starts the executor.
class StartingExecutor {
 public:
  explicit StartingExecutor(ipc::SegmentRing& ring) : beater_([this, &ring] {
      while (!quit_.load()) {
        ring.beat_executor();
        std::this_thread::sleep_for(2ms);
      }
    }) {}
  ~StartingExecutor() {
    quit_.store(true);
    beater_.join();
  }

 private:
  std::atomic<bool> quit_{false};
  std::thread beater_;
};

TEST(HostLink, WaitsUntilTheExecutorHasStarted) {
  auto consumer = ipc::SegmentRing::create(ring_name("wait"), 8);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  auto producer = ipc::SegmentRing::attach(consumer->name());
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  const StartingExecutor executor(*consumer);
  HostLink link(*producer, 2'000'000'000);
  link.start();
  auto waited = std::async(std::launch::async, [&] { return link.wait_for_executor(); });
  // Beating but not started: the host must still be waiting well past a typical buffer_time.
  EXPECT_EQ(waited.wait_for(300ms), std::future_status::timeout);
  consumer->mark_executor_started();
  ASSERT_EQ(waited.wait_for(5s), std::future_status::ready);
  const Status status = waited.get();
  EXPECT_TRUE(status.ok()) << status.error().message;
  link.detach();
}

TEST(HostLink, WaitEndsWithAnErrorWhenTheExecutorIsLost) {
  auto consumer = ipc::SegmentRing::create(ring_name("lost"), 8);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  auto producer = ipc::SegmentRing::attach(consumer->name());
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  HostLink link(*producer, 100'000'000);  // no executor beats at all
  link.start();
  auto waited = std::async(std::launch::async, [&] { return link.wait_for_executor(); });
  ASSERT_EQ(waited.wait_for(10s), std::future_status::ready);
  const Status status = waited.get();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("executor lost"), std::string::npos) << status.error().message;
  link.detach();
}

// `rtstep rt` that cannot set up the executor (a pin, the CPU, SCHED_FIFO) stops the job: the host says so at
// once instead of waiting out the heartbeat timeout and blaming a lost executor.
TEST(HostLink, WaitEndsWhenRtStopsTheJobBeforeStarting) {
  auto consumer = ipc::SegmentRing::create(ring_name("refused"), 8);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  auto producer = ipc::SegmentRing::attach(consumer->name());
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  const StartingExecutor executor(*consumer);
  HostLink link(*producer, 60'000'000'000);
  link.start();
  auto waited = std::async(std::launch::async, [&] { return link.wait_for_executor(); });
  consumer->request_stop(ipc::StopCause::kHostError);
  ASSERT_EQ(waited.wait_for(10s), std::future_status::ready) << "it waited for the heartbeat timeout";
  const Status status = waited.get();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("rtstep rt could not start the executor"), std::string::npos)
      << status.error().message;
  link.detach();
}

}  // namespace
}  // namespace rtstep::cli
