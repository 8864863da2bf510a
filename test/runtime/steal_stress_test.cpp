// Work stealing under load: a 10-ary tree of fibers (skynet) where every parent joins its
// children. Hunts: fibers lost or run twice when local queues overflow to the global queue
// and thieves take half of a queue the owner is popping.
#include <atomic>

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
  EXPECT_EQ(goro::spawn(skynet, 0L, leaves).join(), leaves * (leaves - 1) / 2);
  if (GetParam() > 1) {
    // Shared by stealing or through the global queue (local overflow): either way, more
    // than one processor ran fibers.
    int busy = 0;
    for (auto& p : goro::stats().processors) busy += p.runs > 0;
    EXPECT_GE(busy, 2) << "with several processors the tree must be shared";
  }
}

TEST_P(StealStressTest, YieldingFibersAllFinish) {
  const int n = 1000;
  const int yields = static_cast<int>(goro_test::scaled(1000));
  std::atomic<long> count{0};
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i)
    goro::go([&] {
      for (int y = 0; y < yields; ++y) {
        count.fetch_add(1, std::memory_order_relaxed);
        goro::this_fiber::yield();
      }
      wg.done();
    });
  wg.wait();
  EXPECT_EQ(count.load(), long{n} * yields);
}

GORO_INSTANTIATE(StealStressTest, 1, 2, 4, 8);

}  // namespace
