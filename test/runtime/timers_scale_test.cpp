// A million timers on the runtime's heaps: every one fires exactly once, none early (on the
// real clock, at P = 1 and 2), and on one processor in deadline order (on goro::testing's
// virtual clock, which stands still while they are armed: on the real clock, how many are
// armed ahead of their deadline depends on the machine's load). Uses the internal timer
// directly (no fiber per timer). Lateness figures are the perf suite's timers workload.
#include <algorithm>
#include <atomic>
#include <random>
#include <vector>

#include <goro/detail/futex.hpp>
#include <goro/testing.hpp>

#include "deterministic/mode.hpp"
#include "goro_test.hpp"
#include "scheduler.hpp"

namespace {

struct probe : goro::detail::timer {
  std::atomic<std::int64_t> fired_at{-1};
  std::atomic<int> fires{0};
  std::int64_t order = -1;  // position in the firing sequence (written by its fire only)
};

std::atomic<std::int64_t> sequence{0};
std::atomic<int> outstanding{0};

void on_fire(goro::detail::timer* t) {
  auto* p = static_cast<probe*>(t);
  p->fired_at.store(goro::detail::timer_now_ns(), std::memory_order_relaxed);  // the timers' clock
  p->order = sequence.fetch_add(1, std::memory_order_relaxed);
  p->fires.fetch_add(1, std::memory_order_relaxed);
  t->done();
  outstanding.fetch_sub(1, std::memory_order_release);
}

// Arms timers[i] for i in [a, n) step `armers`, due `start` + 100..300 ms, from a fiber
// (on its processor's heap).
void arm(std::vector<probe>& timers, int a, int armers, std::int64_t start, std::uint64_t seed) {
  std::mt19937_64 r(seed);
  for (std::size_t i = static_cast<std::size_t>(a); i < timers.size(); i += armers) {
    probe& p = timers[i];
    p.when = start + 100'000'000 + static_cast<std::int64_t>(r() % 200'000'000);
    p.fire = on_fire;
    goro::detail::timer_start(&p);
    if (i % 4096 == static_cast<std::size_t>(a)) goro::this_fiber::yield();
  }
}

// Arms them all from 8 fibers, then waits until every one has fired.
void arm_all_and_wait(std::vector<probe>& timers, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  sequence = 0;
  outstanding = static_cast<int>(timers.size());
  const std::int64_t start = goro::detail::timer_now_ns();
  constexpr int armers = 8;
  goro::wait_group wg;
  wg.add(armers);
  for (int a = 0; a < armers; ++a)
    goro::go([&, a, s = rng()] {
      arm(timers, a, armers, start, s);
      wg.done();
    });
  goro_test::bounded("the timers armed", [&] { wg.wait(); });
  // The runtime's machines run them: wait for the count.
  goro_test::wait_until("every timer fired",
                        [] { return outstanding.load(std::memory_order_acquire) == 0; });
}

void expect_each_fired_once_none_early(const std::vector<probe>& timers) {
  int early = 0, not_once = 0;
  for (auto& p : timers) {
    if (p.fires.load() != 1) ++not_once;
    if (p.fired_at.load() < p.when) ++early;
  }
  EXPECT_EQ(not_once, 0) << "timers lost or fired twice";
  EXPECT_EQ(early, 0) << "timers fired before their deadline";
}

class TimersScaleTest : public goro_test::RuntimeTest {};

TEST_P(TimersScaleTest, AMillionTimersFireOnceNoneEarly) {
  const auto seed = goro_test::seed();
  SCOPED_TRACE(fmt::format("GORO_TEST_SEED={}", seed));
  std::vector<probe> timers(static_cast<std::size_t>(goro_test::scaled(1'000'000)));
  arm_all_and_wait(timers, seed);
  expect_each_fired_once_none_early(timers);
}

GORO_INSTANTIATE(TimersScaleTest, 1, 2);

// One processor, one heap, on the virtual clock: arming takes no time on it, so every timer
// is armed ahead of its deadline, and they fire in deadline order.
TEST(TimersOrderTest, AMillionTimersFireOnceNoneEarlyInOrderOnOneProcessor) {
  const auto seed = goro_test::seed();
  SCOPED_TRACE(fmt::format("GORO_TEST_SEED={}", seed));
  const int n = static_cast<int>(goro_test::scaled(1'000'000));
  std::vector<probe> timers(static_cast<std::size_t>(n));
  std::int64_t armed_at = 0;
  goro::testing::run({.seed = seed % 1000 + 1}, [&] {
    const std::int64_t start = goro::detail::timer_now_ns();
    std::mt19937_64 rng(seed);
    sequence = 0;
    outstanding = n;
    constexpr int armers = 8;
    goro::wait_group wg;
    wg.add(armers);
    for (int a = 0; a < armers; ++a)
      goro::go([&, a, s = rng()] {
        arm(timers, a, armers, start, s);
        wg.done();
      });
    wg.wait();
    armed_at = goro::detail::timer_now_ns();
    // The clock jumps from timer to timer, this sleep's last: every probe is due before.
    goro::this_fiber::sleep_for(std::chrono::milliseconds(301));
  });
  EXPECT_EQ(outstanding.load(), 0) << "timers still pending after the last deadline";
  expect_each_fired_once_none_early(timers);
  std::vector<const probe*> by_order(static_cast<std::size_t>(n), nullptr);
  for (auto& p : timers)
    if (p.order >= 0 && p.order < n) by_order[static_cast<std::size_t>(p.order)] = &p;
  const probe* last = nullptr;
  int inversions = 0, ahead = 0;
  for (const probe* p : by_order) {
    if (!p) continue;
    if (p->when > armed_at) ++ahead;
    if (last && p->when < last->when) ++inversions;
    last = p;
  }
  EXPECT_EQ(ahead, n) << "the virtual clock moved while the timers were armed";
  EXPECT_EQ(inversions, 0) << "timers fired out of deadline order";
}

}  // namespace
