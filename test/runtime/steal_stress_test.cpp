// Work stealing under load: a 10-ary tree of fibers (skynet) where every parent joins its
// children. Hunts: fibers lost or run twice when local queues overflow to the global queue
// and thieves take half of a queue the owner is popping. And: a fiber queued behind a busy
// one is taken by another processor.
#include <atomic>
#include <thread>

#include "goro_test.hpp"

namespace {

using StealStressTest = goro_test::RuntimeTest;

long skynet(long num, long size) {
  if (size == 1) return num;
  goro::join_handle<long> kids[10];
  for (long i = 0; i < 10; ++i) kids[i] = goro::spawn(skynet, num + i * (size / 10), size / 10);
  long sum = 0;
  for (auto& k : kids) sum += k.join();
  return sum;
}

TEST_P(StealStressTest, SkynetSumsEveryLeafOnce) {
  const long leaves = goro_test::sanitizer_tier() ? 10'000 : 1'000'000;
  auto root = goro::spawn(skynet, 0L, leaves);
  EXPECT_EQ(goro_test::bounded("the tree's sum", [&] { return root.join(); }),
            leaves * (leaves - 1) / 2);
}

// With several processors, fibers queued on a processor whose machine never reaches a
// scheduling point still run: another processor takes them. The owner spins until one of
// them has run, so the verdict is that they ran at all (elsewhere, necessarily), whatever
// the load; how fast work spreads is the perf suite's skynet figure.
class StealAcrossProcessorsTest : public goro_test::RuntimeTest {};  // P >= 2: a thief exists

TEST_P(StealAcrossProcessorsTest, FibersQueuedBehindABusyFiberAreStolen) {
  std::atomic<int> ran{0}, elsewhere{0};
  auto owner = goro::spawn([&] {
    const auto self = std::this_thread::get_id();
    for (int i = 0; i < 4; ++i)  // the first into runnext, the others into the run queue
      goro::go([&ran, &elsewhere, self] {
        if (std::this_thread::get_id() != self) elsewhere.fetch_add(1);
        ran.fetch_add(1);
      });
    while (ran.load() == 0) {  // no scheduling point: only a thief can run them
    }
  });
  goro_test::bounded("a queued fiber stolen", [&] { owner.join(); });
  goro_test::wait_until("every queued fiber ran", [&] { return ran.load() == 4; });
  EXPECT_GE(elsewhere.load(), 1) << "a queued fiber ran on its busy owner's thread";
}

GORO_INSTANTIATE(StealStressTest, 1, 2, 4, 8);
GORO_INSTANTIATE(StealAcrossProcessorsTest, 2, 4, 8);

}  // namespace
