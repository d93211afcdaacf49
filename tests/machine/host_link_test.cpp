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

// Nothing sent is still to run (a controller between commands): the host beats at its resting pace, a fifth of
// the timeout, not every 5 ms, and still watches the executor. Counts only (fewer beats on a loaded machine,
// never more), no timing figure.
TEST_F(HostLinkTest, WithNoMotionQueuedTheHeartbeatRestsAndStillWatchesTheExecutor) {
  ASSERT_NO_FATAL_FAILURE(open("resting"));
  std::optional<StartingExecutor> executor(std::in_place, *consumer_);
  HostLink link(*producer_, 100'000'000);
  link.start();
  const uint64_t beats_before = consumer_->host_beats();
  const auto from = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(500ms);
  const uint64_t beats = consumer_->host_beats() - beats_before;
  const auto rested_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - from).count();
  EXPECT_GT(beats, 0U);
  EXPECT_LT(beats, static_cast<uint64_t>(rested_ms / 10)) << "resting, the host beats every 20 ms, not every 5";
  EXPECT_FALSE(link.executor_lost());
  executor.reset();  // the executor stops beating
  for (int i = 0; i < 10'000 && !link.executor_lost(); ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(link.executor_lost()) << "a resting host still notices a lost executor";
  link.detach();
}

}  // namespace
}  // namespace rtstep::machine
