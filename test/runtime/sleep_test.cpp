#include <goro/this_fiber.hpp>

#include <atomic>
#include <chrono>
#include <random>

#include "goro_test.hpp"

namespace {

using SleepTest = goro_test::RuntimeTest;
using std::chrono::steady_clock;

// Every sleeper wakes, and none wakes early (checked by each fiber when it resumes).
TEST_P(SleepTest, AllSleepersWakeNoneEarly) {
  const int n = static_cast<int>(goro_test::scaled(20'000));
  auto seed = goro_test::seed();
  SCOPED_TRACE(fmt::format("GORO_TEST_SEED={}", seed));
  std::mt19937_64 rng(seed);
  std::atomic<int> early{0}, woke{0};
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i) {
    auto d = std::chrono::microseconds(rng() % 50'000);
    goro::go([&, d] {
      auto deadline = steady_clock::now() + d;
      goro::this_fiber::sleep_until(deadline);
      if (steady_clock::now() < deadline) early.fetch_add(1);
      woke.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(woke.load(), n);
  EXPECT_EQ(early.load(), 0);
}

TEST_P(SleepTest, PastDeadlineYieldsAndReturns) {
  goro::spawn([] { goro::this_fiber::sleep_until(steady_clock::now() - std::chrono::seconds(1)); })
      .join();
}

TEST_P(SleepTest, SleepersOnAnIdleRuntimeAreWokenByTheTimedWaiter) {
  // All processors go idle while the fibers sleep: only the timed wait can wake them.
  goro::wait_group wg;
  wg.add(3);
  for (int i = 1; i <= 3; ++i)
    goro::go([&, i] {
      goro::this_fiber::sleep_for(std::chrono::milliseconds(5 * i));
      wg.done();
    });
  wg.wait();
}

TEST_P(SleepTest, PlainThreadSleepWorks) {
  auto deadline = steady_clock::now() + std::chrono::milliseconds(2);
  goro::this_fiber::sleep_until(deadline);
  EXPECT_GE(steady_clock::now(), deadline);
}

GORO_INSTANTIATE(SleepTest, 1, 2, 4);

}  // namespace
