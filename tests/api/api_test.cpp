// Completion: the once-only answer every Backend call carries.

#include "api/api.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace rtstep::api {
namespace {

TEST(Completion, TheFirstCallWinsAndLaterOnesAreIgnored) {
  std::vector<int> delivered;
  {
    Completion<int> done([&](int v) { delivered.push_back(v); }, -1);
    Completion<int> copy = done;
    copy(1);
    done(2);
  }
  EXPECT_EQ(delivered, std::vector<int>{1}) << "no fallback after a real answer";
}

TEST(Completion, DroppingEveryCopyDeliversTheFallbackOnce) {
  std::vector<int> delivered;
  {
    Completion<int> done([&](int v) { delivered.push_back(v); }, -1);
    std::vector<Completion<int>> copies(3, done);
  }
  EXPECT_EQ(delivered, std::vector<int>{-1});
}

TEST(Completion, CallsFromSeveralThreadsDeliverOnce) {
  std::atomic<int> deliveries{0};
  Completion<int> done([&](int) { deliveries.fetch_add(1); }, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([done, i] { done(i); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(deliveries.load(), 1);
}

TEST(ClientIds, AreUniqueAndNeverZero) {
  const ClientId a = next_client_id();
  const ClientId b = next_client_id();
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace rtstep::api
