// sleep_for(nanoseconds::max()) never returns (Go saturates the deadline). Checked in a
// child process: the sleeper can never be woken, and an abandoned fiber must not outlive
// the test in this one.
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include <goro/goro.hpp>
#include <goro/testing.hpp>

#include "scheduler.hpp"

namespace {

constexpr std::int64_t a_century_ns = std::int64_t{100} * 365 * 24 * 3600 * 1'000'000'000;

// In the child: after testing::wait() (which runs every due timer), the sleeper is still
// parked and its deadline lies more than a century ahead. Exits 0 if so, else 1.
template <class D>
void sleeper_stays_parked(D d) {
  bool returned = false;
  goro::testing::run({.seed = 1}, [&] {
    goro::go([&] {
      goro::this_fiber::sleep_for(d);
      returned = true;
    });
    goro::testing::wait();
    const std::int64_t now = goro::now().time_since_epoch().count();
    const std::int64_t next = goro::detail::sched().ps[0]->timers.next();
    std::fprintf(stderr, "returned=%d deadline-now=%lld\n", returned ? 1 : 0,
                 static_cast<long long>(next - now));
    std::fflush(stderr);
    std::_Exit(!returned && next != goro::detail::no_deadline && next - now > a_century_ns ? 0 : 1);
  });
  std::_Exit(2);  // not reached
}

TEST(SleepForeverDeathTest, SleepForTheMaximumDurationNeverReturns) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(sleeper_stays_parked(std::chrono::nanoseconds::max()), ::testing::ExitedWithCode(0),
              "returned=0");
}

TEST(SleepForeverDeathTest, SleepForADurationBeyondNanosecondsNeverReturns) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(sleeper_stays_parked(std::chrono::hours::max()), ::testing::ExitedWithCode(0),
              "returned=0");
}

}  // namespace
