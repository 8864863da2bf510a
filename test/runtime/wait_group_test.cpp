#include <goro/wait_group.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "goro_test.hpp"

namespace {

using WaitGroupTest = goro_test::RuntimeTest;

TEST_P(WaitGroupTest, WaitReturnsAtOnceWhenZero) {
  goro::wait_group wg;
  wg.wait();
  goro::spawn([&] { wg.wait(); }).join();
}

TEST_P(WaitGroupTest, WorkBeforeDoneIsVisibleAfterWait) {
  constexpr int n = 64;
  int slots[n] = {};  // plain ints: wait() must order them
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i) goro::go([&, i] { slots[i] = i + 1; wg.done(); });
  wg.wait();
  for (int i = 0; i < n; ++i) EXPECT_EQ(slots[i], i + 1);
}

TEST_P(WaitGroupTest, ManyFiberAndThreadWaitersAllWake) {
  goro::wait_group gate, woke;
  gate.add(1);
  constexpr int fibers = 100, threads = 4;
  woke.add(fibers + threads);
  for (int i = 0; i < fibers; ++i) goro::go([&] { gate.wait(); woke.done(); });
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i) ts.emplace_back([&] { gate.wait(); woke.done(); });
  gate.done();
  woke.wait();
  for (auto& t : ts) t.join();
}

TEST_P(WaitGroupTest, NegativeCounterThrows) {
  goro::wait_group wg;
  wg.add(1);
  wg.done();
  EXPECT_THROW(wg.done(), goro::wait_group_error);
  EXPECT_THROW(wg.add(-5), goro::wait_group_error);
  wg.wait();  // still usable, count is zero
}

TEST_P(WaitGroupTest, ReusedAcrossRounds) {
  goro::wait_group wg;
  std::atomic<int> n{0};
  for (int round = 0; round < 50; ++round) {
    wg.add(10);
    for (int i = 0; i < 10; ++i) goro::go([&] { n.fetch_add(1); wg.done(); });
    wg.wait();
    ASSERT_EQ(n.load(), (round + 1) * 10);
  }
}

GORO_INSTANTIATE(WaitGroupTest, 1, 2, 4);

}  // namespace
