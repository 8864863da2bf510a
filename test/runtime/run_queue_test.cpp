// The processor run queue on its own (runtime/src/run_queue.hpp), with fake fiber pointers.
#include "run_queue.hpp"

#include <atomic>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "global_queue.hpp"
#include "goro_test.hpp"

namespace {

using goro::detail::fiber;
using goro::detail::run_queue;

fiber* fake(std::uintptr_t i) { return reinterpret_cast<fiber*>((i + 1) * 16); }
std::uintptr_t index_of(fiber* f) { return reinterpret_cast<std::uintptr_t>(f) / 16 - 1; }

// Go's RunSchedLocalQueueStealTest: for every fill level, a steal takes half (rounded up)
// and every element is seen exactly once.
TEST(RunQueueTest, StealTakesHalfAndLosesNothing) {
  for (std::uintptr_t n = 0; n <= run_queue::capacity; ++n) {
    auto victim = std::make_unique<run_queue>();
    auto thief = std::make_unique<run_queue>();
    for (std::uintptr_t i = 0; i < n; ++i) ASSERT_TRUE(victim->push(fake(i)));
    auto got = victim->steal_into(*thief);
    EXPECT_TRUE(got == n / 2 || got == n / 2 + 1) << "n=" << n << " got=" << got;
    std::vector<int> seen(n);
    while (fiber* f = victim->pop()) ++seen[index_of(f)];
    while (fiber* f = thief->pop()) ++seen[index_of(f)];
    for (std::uintptr_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "n=" << n << " i=" << i;
  }
}

TEST(RunQueueTest, FifoAndBoundedForTheOwner) {
  auto q = std::make_unique<run_queue>();
  for (std::uintptr_t i = 0; i < run_queue::capacity; ++i) ASSERT_TRUE(q->push(fake(i)));
  EXPECT_FALSE(q->push(fake(999))) << "a full queue must refuse";
  EXPECT_EQ(q->size(), run_queue::capacity);
  for (std::uintptr_t i = 0; i < run_queue::capacity; ++i) ASSERT_EQ(q->pop(), fake(i));
  EXPECT_EQ(q->pop(), nullptr);
}

TEST(RunQueueTest, PopHalfForTheGlobalQueue) {
  auto q = std::make_unique<run_queue>();
  for (std::uintptr_t i = 0; i < 10; ++i) q->push(fake(i), /*fresh=*/i % 2 == 1);
  fiber* out[run_queue::capacity];
  bool fresh[run_queue::capacity];
  EXPECT_EQ(q->pop_half(out, fresh, run_queue::capacity), 5u);
  for (std::uintptr_t i = 0; i < 5; ++i) {
    EXPECT_EQ(out[i], fake(i));
    EXPECT_EQ(fresh[i], i % 2 == 1);
  }
  EXPECT_EQ(q->size(), 5u);
}

// Fresh fibers (never ran) are taken newest first, from the back; any other fiber oldest
// first, from the front. pop_front() takes the oldest whatever it is.
TEST(RunQueueTest, FreshNewestFirstOthersOldestFirst) {
  auto q = std::make_unique<run_queue>();
  q->push(fake(0));
  q->push(fake(1));
  q->push(fake(2), /*fresh=*/true);
  q->push(fake(3), /*fresh=*/true);
  EXPECT_EQ(q->pop(), fake(3));
  EXPECT_EQ(q->pop(), fake(2));
  EXPECT_EQ(q->pop(), fake(0));
  q->push(fake(4), /*fresh=*/true);
  q->push(fake(5));  // not fresh at the back: the front goes first
  EXPECT_EQ(q->pop(), fake(1));
  EXPECT_EQ(q->pop(), fake(4));
  EXPECT_EQ(q->pop(), fake(5));
  EXPECT_EQ(q->pop(), nullptr);
  q->push(fake(6), true);
  q->push(fake(7), true);
  EXPECT_EQ(q->pop_front(), fake(6));
  EXPECT_EQ(q->pop(), fake(7));
  EXPECT_EQ(q->pop_front(), nullptr);
}

// A thief takes the oldest half; what it took stays fresh on its side (newest first).
TEST(RunQueueTest, StolenFreshFibersStayFresh) {
  auto victim = std::make_unique<run_queue>();
  auto thief = std::make_unique<run_queue>();
  for (std::uintptr_t i = 0; i < 4; ++i) victim->push(fake(i), true);
  ASSERT_EQ(victim->steal_into(*thief), 2u);
  EXPECT_EQ(thief->pop(), fake(1));
  EXPECT_EQ(thief->pop(), fake(0));
  EXPECT_EQ(victim->pop(), fake(3));
  EXPECT_EQ(victim->pop(), fake(2));
}

// With one processor (alone: no thief can exist) the owner's operations keep the order.
TEST(RunQueueTest, AloneKeepsTheOrder) {
  auto q = std::make_unique<run_queue>();
  q->set_alone(true);
  for (std::uintptr_t i = 0; i < run_queue::capacity; ++i) ASSERT_TRUE(q->push(fake(i), i >= 200));
  EXPECT_FALSE(q->push(fake(999)));
  for (std::uintptr_t i = run_queue::capacity; i-- > 200;) ASSERT_EQ(q->pop(), fake(i));
  for (std::uintptr_t i = 0; i < 200; ++i) ASSERT_EQ(q->pop(), fake(i));
  EXPECT_EQ(q->pop(), nullptr);
}

// Counts how often each fake fiber was taken: every one must be, exactly once.
struct tally {
  explicit tally(std::uintptr_t n) : seen(n) {}
  void took(fiber* f) { seen[index_of(f)].fetch_add(1, std::memory_order_relaxed); }
  void check() const {
    for (std::uintptr_t i = 0; i < seen.size(); ++i)
      ASSERT_EQ(seen[i].load(), 1) << "element " << i;
  }
  std::vector<std::atomic<int>> seen;
};

// A thief: steals from q into a queue of its own until `done` (and, if `drain`, q is
// empty), counting what it took. Without `drain` it never yields: the tightest race.
void steal_until(run_queue& q, tally& t, const std::atomic<bool>& done, bool drain) {
  auto mine = std::make_unique<run_queue>();
  while (!done.load(std::memory_order_acquire) || (drain && !q.empty())) {
    if (q.steal_into(*mine) == 0) {
      if (drain) std::this_thread::yield();
      continue;
    }
    while (fiber* f = mine->pop()) t.took(f);
  }
}

// Owner pushes and pops while two thieves steal: every element is taken exactly once.
// Hunts: a thief's CAS succeeding on slots the owner already reused (Q1-Q3), or on a
// word the owner's pops from the back changed and restored (every other fiber is fresh, so
// the owner takes from both ends).
TEST(RunQueueTest, OwnerAndThievesNeverDuplicateOrLose) {
  const std::uintptr_t total = static_cast<std::uintptr_t>(goro_test::scaled(1'000'000));
  auto q = std::make_unique<run_queue>();
  tally t(total);
  std::atomic<bool> done{false};
  std::thread t1(steal_until, std::ref(*q), std::ref(t), std::cref(done), true);
  std::thread t2(steal_until, std::ref(*q), std::ref(t), std::cref(done), true);
  for (std::uintptr_t i = 0; i < total; ++i) {
    while (!q->push(fake(i), /*fresh=*/i % 2 == 1)) {
      if (fiber* f = q->pop()) t.took(f);
    }
    if (i % 3 == 0)
      if (fiber* f = q->pop()) t.took(f);
  }
  done.store(true, std::memory_order_release);
  while (fiber* f = q->pop()) t.took(f);
  t1.join();
  t2.join();
  t.check();
}

// The owner keeps one fresh fiber in the queue, pushing and taking it back from the back,
// while two thieves try to steal it: the word goes back to the same front and back indices
// after every pair, so a thief that loaded it before a pair would succeed on a stale slot,
// taking a fiber the owner already took and losing the next one, without the word's
// version (Q1).
TEST(RunQueueTest, ATakeFromTheBackNeverRacesAThiefOnAStaleWord) {
  const std::uintptr_t total = static_cast<std::uintptr_t>(goro_test::scaled(2'000'000));
  auto q = std::make_unique<run_queue>();
  tally t(total);
  std::atomic<bool> done{false};
  std::thread t1(steal_until, std::ref(*q), std::ref(t), std::cref(done), false);
  std::thread t2(steal_until, std::ref(*q), std::ref(t), std::cref(done), false);
  for (std::uintptr_t i = 0; i < total; ++i) {
    ASSERT_TRUE(q->push(fake(i), /*fresh=*/true));
    if (fiber* f = q->pop()) t.took(f);
  }
  done.store(true, std::memory_order_release);
  t1.join();
  t2.join();
  while (fiber* f = q->pop()) t.took(f);
  t.check();
}

// The global queue serves the fibers that ran before ahead of the fresh ones, FIFO within
// each, and the fresh ones first on every eighth take, so neither ring can starve.
TEST(GlobalQueueTest, RanBeforeFreshFifoEachFreshEveryEighthTake) {
  goro::detail::global_queue q;
  std::vector<fiber*> fresh, ran;
  for (std::uintptr_t i = 0; i < 20; ++i) fresh.push_back(fake(i));
  for (std::uintptr_t i = 100; i < 110; ++i) ran.push_back(fake(i));
  q.push_fresh(fresh.data(), fresh.size());
  q.push_batch(ran.data(), 5);
  q.push(ran[5]);
  q.push_front(&ran[6], 1);  // ahead of every fiber that ran before
  EXPECT_EQ(q.size(), 27);
  std::vector<fiber*> got;
  for (int take = 1; take <= 8; ++take) got.push_back(q.pop());
  // takes 1-7 from the ran ring (ran[6] first, then ran[0..5]), take 8 from the fresh one
  std::vector<fiber*> want{ran[6], ran[0], ran[1], ran[2], ran[3], ran[4], ran[5], fresh[0]};
  EXPECT_EQ(got, want);
  fiber* out[32];
  EXPECT_EQ(q.pop_batch(out, 32), 19u);  // the ran ring is empty: the rest, in order
  for (int i = 0; i < 19; ++i) EXPECT_EQ(out[i], fresh[i + 1]);
  EXPECT_EQ(q.size(), 0);
  EXPECT_EQ(q.pop(), nullptr);
}

}  // namespace
