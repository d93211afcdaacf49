// HostLink::wait_for_executor: a host chooses its print-time origin only once the executor runs, so a
// `rtstep rt` that is slow to start (memory lock, pins, trace buffers) cannot make the first edge late.
#include "machine/host_link.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace rtstep::machine {
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

// Both sides of a fresh ring: the executor's (consumer) and the host's (producer).
class HostLinkTest : public ::testing::Test {
 protected:
  void open(const char* what) {
    auto consumer = ipc::SegmentRing::create(ring_name(what), 8);
    ASSERT_TRUE(consumer.ok()) << consumer.error().message;
    auto producer = ipc::SegmentRing::attach(consumer->name());
    ASSERT_TRUE(producer.ok()) << producer.error().message;
    consumer_.emplace(std::move(*consumer));
    producer_.emplace(std::move(*producer));
  }
  std::optional<ipc::SegmentRing> consumer_;
  std::optional<ipc::SegmentRing> producer_;
};

TEST_F(HostLinkTest, WaitsUntilTheExecutorHasStarted) {
  ASSERT_NO_FATAL_FAILURE(open("wait"));
  const StartingExecutor executor(*consumer_);
  HostLink link(*producer_, 2'000'000'000);
  link.start();
  auto waited = std::async(std::launch::async, [&] { return link.wait_for_executor(); });
  // Beating but not started: the host must still be waiting well past a typical buffer_time.
  EXPECT_EQ(waited.wait_for(300ms), std::future_status::timeout);
  consumer_->mark_executor_started();
  ASSERT_EQ(waited.wait_for(5s), std::future_status::ready);
  const Status status = waited.get();
  EXPECT_TRUE(status.ok()) << status.error().message;
  link.detach();
}

TEST_F(HostLinkTest, WaitEndsWithAnErrorWhenTheExecutorIsLost) {
  ASSERT_NO_FATAL_FAILURE(open("lost"));
  HostLink link(*producer_, 100'000'000);  // no executor beats at all
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
TEST_F(HostLinkTest, WaitEndsWhenRtStopsTheJobBeforeStarting) {
  ASSERT_NO_FATAL_FAILURE(open("refused"));
  const StartingExecutor executor(*consumer_);
  HostLink link(*producer_, 60'000'000'000);
  link.start();
  auto waited = std::async(std::launch::async, [&] { return link.wait_for_executor(); });
  consumer_->request_stop(ipc::StopCause::kHostError);
  ASSERT_EQ(waited.wait_for(10s), std::future_status::ready) << "it waited for the heartbeat timeout";
  const Status status = waited.get();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("rtstep rt could not start the executor"), std::string::npos)
      << status.error().message;
  link.detach();
}

}  // namespace
}  // namespace rtstep::machine
