#include <atomic>
#include <chrono>
#include <random>

#include <goro/this_fiber.hpp>

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

std::uint64_t total(std::uint64_t goro::processor_stats::*counter) {
  std::uint64_t n = 0;
  for (auto& p : goro::stats().processors) n += p.*counter;
  return n;
}

// A deadline already past arms no timer and parks nowhere: the sleeper returns after a
// yield, which on one processor lets a fiber queued there run first.
TEST_P(SleepTest, PastDeadlineYieldsAndReturns) {
  const auto parks = total(&goro::processor_stats::parks);
  const auto fired = total(&goro::processor_stats::timers_fired);
  std::atomic<bool> other_ran{false};
  auto sleeper = goro::spawn([&] {
    goro::go([&] { other_ran.store(true); });  // queued on this fiber's processor
    goro::this_fiber::sleep_until(steady_clock::now() - std::chrono::seconds(1));
    return other_ran.load();
  });
  const bool ran_first = goro_test::bounded("the sleeper returned", [&] { return sleeper.join(); });
  // With more processors the other fiber may be stolen and still be running elsewhere.
  if (GetParam() == 1) {
    EXPECT_TRUE(ran_first) << "sleep_until(past) did not yield";
  }
  goro_test::wait_until("the other fiber ran", [&] { return other_ran.load(); });
  EXPECT_EQ(total(&goro::processor_stats::parks), parks) << "the sleeper parked";
  EXPECT_EQ(total(&goro::processor_stats::timers_fired), fired) << "a timer was armed";
}

// All processors go idle while the fibers sleep: only the timed wait can wake them. The
// sleeps are short; a round in which the runtime was not seen idle (the test thread was
// slow to look) is run again, so that the claim is checked, however loaded the machine.
TEST_P(SleepTest, SleepersOnAnIdleRuntimeAreWokenByTheTimedWaiter) {
  const int procs = GetParam();
  int rounds = 0;
  bool seen_idle = false;
  goro_test::wait_until("a round with the runtime seen idle while fibers slept", [&] {
    ++rounds;
    goro::wait_group wg;
    std::atomic<int> woke{0}, early{0};
    wg.add(3);
    for (int i = 1; i <= 3; ++i)
      goro::go([&, i] {
        const auto deadline = steady_clock::now() + std::chrono::milliseconds(5 * i);
        goro::this_fiber::sleep_until(deadline);
        if (steady_clock::now() < deadline) early.fetch_add(1);
        woke.fetch_add(1);
        wg.done();
      });
    for (bool done = false; !done;) {
      auto st = goro::stats();
      std::uint64_t pending = 0;
      for (auto& p : st.processors) pending += p.timers_pending;
      seen_idle |= pending > 0 && st.idle_processors == procs && st.spinning_machines == 0 &&
                   st.fibers_parked == 3 && st.fibers_running == 0 && st.fibers_runnable == 0;
      done = woke.load() == 3 || seen_idle;
    }
    wg.wait();  // woken by their timers alone (bounded by the wait around this round)
    EXPECT_EQ(woke.load(), 3);
    EXPECT_EQ(early.load(), 0) << "woken before the deadline";
    return seen_idle;
  });
  std::printf("rounds until the idle runtime was seen: %d\n", rounds);
}

TEST_P(SleepTest, PlainThreadSleepWorks) {
  auto deadline = steady_clock::now() + std::chrono::milliseconds(2);
  goro::this_fiber::sleep_until(deadline);
  EXPECT_GE(steady_clock::now(), deadline);
}

GORO_INSTANTIATE(SleepTest, 1, 2, 4);

}  // namespace
