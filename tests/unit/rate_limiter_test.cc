#include "exporter/api/rate_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace cdb_sync {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;

const Clock::time_point kStart = Clock::time_point() + std::chrono::hours(1);
const Clock::time_point kFarAway = kStart + std::chrono::hours(1);

double SecondsAfterStart(Clock::time_point time) {
  return std::chrono::duration<double>(time - kStart).count();
}

TEST(RateLimiterTest, BurstStartsAtOnce) {
  RateLimiter limiter(10, 3);
  for (int i = 0; i < 3; ++i) {
    const auto start = limiter.Reserve(kStart, kFarAway);
    ASSERT_TRUE(start.has_value());
    EXPECT_EQ(*start, kStart) << i;
  }
}

TEST(RateLimiterTest, StartsSpacedAfterBurst) {
  RateLimiter limiter(10, 2);
  limiter.Reserve(kStart, kFarAway);
  limiter.Reserve(kStart, kFarAway);
  for (int i = 1; i <= 5; ++i) {
    const auto start = limiter.Reserve(kStart, kFarAway);
    ASSERT_TRUE(start.has_value());
    EXPECT_NEAR(SecondsAfterStart(*start), 0.1 * i, 1e-6) << i;
  }
}

TEST(RateLimiterTest, DeniedPastLatestTakesNothing) {
  RateLimiter limiter(10, 1);
  ASSERT_TRUE(limiter.Reserve(kStart, kFarAway).has_value());
  // The next start is 100 ms away, after the latest allowed 50 ms.
  EXPECT_FALSE(limiter.Reserve(kStart, kStart + milliseconds(50)).has_value());
  EXPECT_FALSE(limiter.Reserve(kStart, kStart + milliseconds(50)).has_value());
  // The denials took no token: the next start is still 100 ms away.
  const auto start = limiter.Reserve(kStart, kFarAway);
  ASSERT_TRUE(start.has_value());
  EXPECT_NEAR(SecondsAfterStart(*start), 0.1, 1e-6);
}

TEST(RateLimiterTest, RefillsUpToBurst) {
  RateLimiter limiter(10, 2);
  limiter.Reserve(kStart, kFarAway);
  limiter.Reserve(kStart, kFarAway);
  // Ten seconds refill 100 tokens, but the bucket keeps only 2.
  const Clock::time_point later = kStart + std::chrono::seconds(10);
  EXPECT_EQ(*limiter.Reserve(later, kFarAway), later);
  EXPECT_EQ(*limiter.Reserve(later, kFarAway), later);
  EXPECT_GT(*limiter.Reserve(later, kFarAway), later);
}

TEST(RateLimiterTest, ZeroRateIsUnlimited) {
  RateLimiter limiter(0, 1);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(*limiter.Reserve(kStart, kStart), kStart);
  }
}

TEST(RateLimiterTest, TurningLimitOnFillsBucket) {
  RateLimiter limiter(0, 1);
  limiter.SetLimit(5, 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(*limiter.Reserve(kStart, kFarAway), kStart) << i;
  }
  EXPECT_GT(*limiter.Reserve(kStart, kFarAway), kStart);
}

TEST(RateLimiterTest, ConcurrentReservationsRespectRate) {
  RateLimiter limiter(100, 1);
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::vector<std::vector<Clock::time_point>> starts(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&limiter, &starts, t] {
      for (int i = 0; i < 50; ++i) {
        starts[t].push_back(*limiter.Reserve(kStart, kFarAway));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<Clock::time_point> all;
  for (const auto& list : starts)
    all.insert(all.end(), list.begin(), list.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 400u);
  // 400 starts at 100 per second after a burst of 1 end 3.99 s in.
  EXPECT_NEAR(SecondsAfterStart(all.back()), 3.99, 1e-3);
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_GE(all[i] - all[i - 1], milliseconds(9)) << i;
  }
}

}  // namespace
}  // namespace cdb_sync
