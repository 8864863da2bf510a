// after() channels dropped around the moment their timers fire. Hunts: the channel's last
// release (abandon_after) and the timer's firing (fire_after) both deciding to free the
// timer, or neither (a use-after-free or a double free under ASan, a leak under LSan).
// Plain threads drop channels whose timers idle machines fire; fibers on P > 1 drop
// channels whose timers other machines steal and fire. Each after() waits a random few
// microseconds and each owner drops it after another random few: about half fire first.
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <goro/detail/futex.hpp>
#include <goro/this_fiber.hpp>
#include <goro/time.hpp>

#include "goro_test.hpp"
#include "timers_peek.hpp"

namespace {

using goro_test::RuntimeTest;

class AfterStressTest : public RuntimeTest {};

struct tally {
  std::atomic<std::int64_t> fired{0}, unfired{0};
};

// Creates `n` batches of after() channels and drops them. A batch is due at one instant,
// a random 0-30 µs ahead, and is dropped in reverse order a random 0-60 µs after it was
// made: a machine pops it whole and fires it in order while the owner drops it from the
// other end, so the two cross. Several owners dropping at once contend for the heap's
// lock, which stretches each drop.
void churn(std::uint64_t seed, std::int64_t n, tally& t) {
  constexpr int batch = 16;
  std::mt19937_64 rng(seed);
  std::vector<goro::recv_chan<goro::time_point>> cs;
  cs.reserve(batch);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto due = std::chrono::nanoseconds(rng() % 30'000);
    const std::int64_t hold = static_cast<std::int64_t>(rng() % 60'000);
    for (int k = 0; k < batch; ++k) cs.push_back(goro::after(due));
    // Busy: the drop must come at a chosen point of the timers' life, not at a park.
    const std::int64_t until = goro::detail::monotonic_ns() + hold;
    while (goro::detail::monotonic_ns() < until) {
    }
    while (!cs.empty()) {
      (cs.back().size() > 0 ? t.fired : t.unfired).fetch_add(1, std::memory_order_relaxed);
      cs.pop_back();  // dropped
    }
    goro::this_fiber::yield();  // a fiber lets its processor run timers
  }
}

using goro_test::pending_timers;

TEST_P(AfterStressTest, AfterChannelsDroppedAsTheirTimersFireAreFreedOnce) {
  const std::uint64_t seed = goro_test::seed();
  // As many batches under the sanitizers as in CI: ASan's slower frees widen the window it
  // is there to catch.
  const std::int64_t n = goro_test::sanitizer_tier() ? 2'000 : goro_test::scaled(2'000);
  tally t;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&, i] { churn(seed + i, n, t); });
  std::vector<goro::join_handle<void>> fibers;
  for (int i = 0; i < GetParam(); ++i)
    fibers.push_back(goro::spawn([&, i] { churn(seed + 100 + i, n, t); }));
  for (auto& th : threads) th.join();
  for (auto& h : fibers) h.join();
  // Every timer was cancelled, or fired and freed: none is left queued.
  EXPECT_EQ(pending_timers(), 0u) << "seed " << seed;
  // Both sides of the race were reached.
  EXPECT_GT(t.fired.load(), 0) << "seed " << seed;
  EXPECT_GT(t.unfired.load(), 0) << "seed " << seed;
}

GORO_INSTANTIATE(AfterStressTest, 1, 2, 4);

}  // namespace
