#include <atomic>
#include <thread>
#include <vector>

#include <unistd.h>

#include <goro/wait_group.hpp>

#include "goro_test.hpp"

namespace {

using WaitGroupTest = goro_test::RuntimeTest;

std::uint64_t total_parks() {
  std::uint64_t n = 0;
  for (auto& p : goro::stats().processors) n += p.parks;
  return n;
}

// At zero, wait() returns without blocking: a thread returns, a fiber does not park.
TEST_P(WaitGroupTest, WaitReturnsAtOnceWhenZero) {
  goro::wait_group wg;
  goro_test::bounded("wait() on zero from a thread", [&] { wg.wait(); });
  const auto parks = total_parks();
  auto h = goro::spawn([&] {
    wg.wait();
    return true;
  });
  EXPECT_TRUE(goro_test::bounded("wait() on zero from a fiber", [&] { return h.join(); }));
  EXPECT_EQ(total_parks(), parks) << "wait() on zero parked the fiber";
}

TEST_P(WaitGroupTest, WorkBeforeDoneIsVisibleAfterWait) {
  constexpr int n = 64;
  int slots[n] = {};  // plain ints: wait() must order them
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i)
    goro::go([&, i] {
      slots[i] = i + 1;
      wg.done();
    });
  wg.wait();
  for (int i = 0; i < n; ++i) EXPECT_EQ(slots[i], i + 1);
}

TEST_P(WaitGroupTest, ManyFiberAndThreadWaitersAllWake) {
  goro::wait_group gate, woke;
  gate.add(1);
  constexpr int fibers = 100, threads = 4;
  woke.add(fibers + threads);
  std::atomic<int> passed{0};
  for (int i = 0; i < fibers; ++i)
    goro::go([&] {
      gate.wait();
      passed.fetch_add(1);
      woke.done();
    });
  std::vector<std::thread> ts;
  std::atomic<int> tids[threads] = {};
  for (int i = 0; i < threads; ++i)
    ts.emplace_back([&, i] {
      tids[i].store(static_cast<int>(::gettid()));
      gate.wait();
      passed.fetch_add(1);
      woke.done();
    });
  // Every waiter waits before the gate opens: the fibers parked, the threads asleep.
  goro_test::wait_until("every fiber parked on the gate",
                        [] { return goro_test::count_parked("wait_group wait") == fibers; });
  for (auto& tid : tids) {
    goro_test::wait_until("a thread started", [&] { return tid.load() != 0; });
    goro_test::wait_until("a thread asleep on the gate", goro_test::thread_asleep(tid.load()));
  }
  EXPECT_EQ(passed.load(), 0);
  gate.done();
  goro_test::bounded("every waiter woke", [&] { woke.wait(); });
  for (auto& t : ts) t.join();
  EXPECT_EQ(passed.load(), fibers + threads);
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
    for (int i = 0; i < 10; ++i)
      goro::go([&] {
        n.fetch_add(1);
        wg.done();
      });
    wg.wait();
    ASSERT_EQ(n.load(), (round + 1) * 10);
  }
}

GORO_INSTANTIATE(WaitGroupTest, 1, 2, 4);

}  // namespace
