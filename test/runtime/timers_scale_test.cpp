// A million timers on the runtime's heaps: every one fires exactly once, none early, and on
// one processor in deadline order. Uses the internal timer directly (no fiber per timer).
#include <algorithm>
#include <atomic>
#include <random>
#include <vector>

#include "futex.hpp"
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
  p->fired_at.store(goro::detail::monotonic_ns(), std::memory_order_relaxed);
  p->order = sequence.fetch_add(1, std::memory_order_relaxed);
  p->fires.fetch_add(1, std::memory_order_relaxed);
  t->done();
  outstanding.fetch_sub(1, std::memory_order_release);
}

class TimersScaleTest : public goro_test::RuntimeTest {};

TEST_P(TimersScaleTest, AMillionTimersFireOnceNoneEarlyInOrderOnOneProcessor) {
  const int n = static_cast<int>(goro_test::scaled(1'000'000));
  std::vector<probe> timers(static_cast<std::size_t>(n));
  std::mt19937_64 rng(goro_test::seed());
  sequence = 0;
  outstanding = n;
  const std::int64_t start = goro::detail::monotonic_ns();
  // Armed from fibers (each on its processor's heap), due 100..300 ms from now.
  constexpr int armers = 8;
  goro::wait_group wg;
  wg.add(armers);
  for (int a = 0; a < armers; ++a) {
    const std::uint64_t seed = rng();
    goro::go([&, a, seed] {
      std::mt19937_64 r(seed);
      for (int i = a; i < n; i += armers) {
        probe& p = timers[static_cast<std::size_t>(i)];
        p.when = start + 100'000'000 + static_cast<std::int64_t>(r() % 200'000'000);
        p.fire = on_fire;
        goro::detail::timer_start(&p);
        if (i % 4096 == a) goro::this_fiber::yield();
      }
      wg.done();
    });
  }
  wg.wait();
  const std::int64_t armed = goro::detail::monotonic_ns();
  // Every timer fires: wait for the count (the runtime's machines run them).
  while (outstanding.load(std::memory_order_acquire) != 0) goro::this_fiber::sleep_for(std::chrono::milliseconds(5));
  int early = 0, not_once = 0;
  for (auto& p : timers) {
    if (p.fires.load() != 1) ++not_once;
    if (p.fired_at.load() < p.when) ++early;
  }
  EXPECT_EQ(not_once, 0) << "timers lost or fired twice";
  EXPECT_EQ(early, 0) << "timers fired before their deadline";
  if (GetParam() == 1) {
    // One heap: the timers due after the arming ended fire in deadline order (one armed
    // when its deadline had passed fires at once, out of that order).
    std::vector<const probe*> by_order(static_cast<std::size_t>(n));
    for (auto& p : timers) by_order[static_cast<std::size_t>(p.order)] = &p;
    const probe* last = nullptr;
    int inversions = 0, checked = 0;
    for (const probe* p : by_order) {
      if (p->when <= armed) continue;
      ++checked;
      if (last && p->when < last->when) ++inversions;
      last = p;
    }
    EXPECT_EQ(inversions, 0) << "timers fired out of deadline order";
    EXPECT_GT(checked, n / 2) << "too few timers were armed ahead of their deadline";
  }
}

GORO_INSTANTIATE(TimersScaleTest, 1, 2);

}  // namespace
