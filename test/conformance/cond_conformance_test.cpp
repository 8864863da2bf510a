// Go's sync/cond_test.go, ported onto goro::condition_variable (Go's sync.Cond: Wait is
// wait(lk), Signal notify_one(), Broadcast notify_all()). Each test names the Go test it
// ports. TestCondCopy has no port: Go detects a copied Cond at run time, C++ forbids the
// copy at compile time (checked below with a static_assert). The benchmarks are not ported.
#include <atomic>
#include <mutex>
#include <type_traits>
#include <vector>

#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
using conformance::recv_or_fail;
using conformance::wait_or_fail;
using CondConformanceTest = goro_test::RuntimeTest;

// Go: TestCondCopy, at compile time.
static_assert(!std::is_copy_constructible_v<goro::condition_variable>);
static_assert(!std::is_copy_assignable_v<goro::condition_variable>);

// Go: TestCondSignal: each notify_one wakes exactly one waiter.
TEST_P(CondConformanceTest, CondSignal) {
  conformance::fiber_group fibers;
  goro::mutex m;
  goro::condition_variable c;
  int n = 2;
  goro::chan<bool> running(n), awake(n);
  for (int i = 0; i < n; ++i)
    fibers.go([&, running, awake] {
      std::unique_lock lk(m);
      running.send(true);
      c.wait(lk);
      awake.send(true);
    });
  for (int i = 0; i < n; ++i) recv_or_fail(running, "waiter running");  // everyone runs
  while (n > 0) {
    EXPECT_EQ(awake.try_recv(), std::nullopt) << "fiber not asleep";
    m.lock();
    c.notify_one();
    m.unlock();
    recv_or_fail(awake, "a waiter woken by notify_one");
    EXPECT_EQ(awake.try_recv(), std::nullopt) << "too many fibers awake";
    --n;
  }
  c.notify_one();
  fibers.wait();
}

// Go: TestCondSignalGenerations: notify_one wakes waiters in the order they waited.
TEST_P(CondConformanceTest, CondSignalGenerations) {
  conformance::fiber_group fibers;
  goro::mutex m;
  goro::condition_variable c;
  constexpr int n = 100;
  goro::chan<bool> running(n);
  goro::chan<int> awake(n);
  for (int i = 0; i < n; ++i) {
    fibers.go([&, i, running, awake] {
      std::unique_lock lk(m);
      running.send(true);
      c.wait(lk);
      awake.send(i);
    });
    if (i > 0) {
      EXPECT_EQ(recv_or_fail(awake, "woken waiter"), i - 1) << "wrong fiber woke up";
    }
    recv_or_fail(running, "waiter running");
    m.lock();
    c.notify_one();
    m.unlock();
  }
  recv_or_fail(awake, "last waiter");
  fibers.wait();
}

// Go: TestCondBroadcast: notify_all wakes every waiter, each once, round after round.
TEST_P(CondConformanceTest, CondBroadcast) {
  conformance::fiber_group fibers;
  goro::mutex m;
  goro::condition_variable c;
  constexpr int n = 200;
  goro::chan<int> running(n), awake(n);
  bool exit = false;
  goro::wait_group wg;
  wg.add(n);
  for (int g = 0; g < n; ++g)
    fibers.go([&, g, running, awake] {
      std::unique_lock lk(m);
      while (!exit) {
        running.send(g);
        c.wait(lk);
        awake.send(g);
      }
      lk.unlock();
      wg.done();
    });
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < n; ++k) recv_or_fail(running, "all waiters running");
    if (i == n - 1) {
      m.lock();
      exit = true;
      m.unlock();
    }
    EXPECT_EQ(awake.try_recv(), std::nullopt) << "fiber not asleep";
    m.lock();
    c.notify_all();
    m.unlock();
    std::vector<bool> seen(n);
    for (int k = 0; k < n; ++k) {
      auto g = recv_or_fail(awake, "woken waiter");
      if (!g) return;
      EXPECT_FALSE(seen[*g]) << "fiber woke up twice";
      seen[*g] = true;
    }
  }
  wait_or_fail(wg, "waiters' exit");
  EXPECT_EQ(running.try_recv(), std::nullopt) << "fiber did not exit";
  c.notify_all();
  fibers.wait();
}

// Go: TestRace: three fibers hand a state machine (x = 1, 2, 3) along through one condition
// variable; each wait sees the value its waker left.
TEST_P(CondConformanceTest, Race) {
  conformance::fiber_group fibers;
  int x = 0;
  goro::mutex mu;
  goro::condition_variable c;
  goro::chan<bool> done(0);
  fibers.go([&, done] {
    std::unique_lock lk(mu);
    x = 1;
    c.wait(lk);
    EXPECT_EQ(x, 2) << "want 2";
    x = 3;
    c.notify_one();
    lk.unlock();
    done.send(true);
  });
  fibers.go([&, done] {
    std::unique_lock lk(mu);
    for (;;) {
      if (x == 1) {
        x = 2;
        c.notify_one();
        break;
      }
      lk.unlock();
      goro::this_fiber::yield();
      lk.lock();
    }
    lk.unlock();
    done.send(true);
  });
  fibers.go([&, done] {
    std::unique_lock lk(mu);
    for (;;) {
      if (x == 2) {
        c.wait(lk);
        EXPECT_EQ(x, 3) << "want 3";
        break;
      }
      if (x == 3) break;
      lk.unlock();
      goro::this_fiber::yield();
      lk.lock();
    }
    lk.unlock();
    done.send(true);
  });
  for (int i = 0; i < 3; ++i) recv_or_fail(done, "TestRace fiber");
  fibers.wait();
}

// Go: TestCondSignalStealing: a broadcast racing a new waiter still wakes the waiter that
// was already waiting.
TEST_P(CondConformanceTest, CondSignalStealing) {
  conformance::fiber_group fibers;
  const int iters = static_cast<int>(goro_test::scaled(1000));
  for (int it = 0; it < iters; ++it) {
    goro::mutex m;
    goro::condition_variable cond;
    // Start a waiter.
    goro::chan<bool> ch(0);
    goro::wait_group wg;
    wg.add(3);
    fibers.go([&, ch] {
      std::unique_lock lk(m);
      ch.send(true);
      cond.wait(lk);
      lk.unlock();
      ch.send(true);
      wg.done();
    });
    recv_or_fail(ch, "first waiter");
    m.lock();
    m.unlock();
    // The waiter is in wait(): we synchronized with it, then took and released the mutex
    // it held. Now a broadcast races a second waiter; the first must be woken.
    bool done = false;
    fibers.go([&] {
      cond.notify_all();
      wg.done();
    });
    fibers.go([&] {
      std::unique_lock lk(m);
      while (!done) cond.wait(lk);
      lk.unlock();
      wg.done();
    });
    ASSERT_TRUE(recv_or_fail(ch, "first waiter didn't get broadcast").has_value());
    // Release the second waiter in case it didn't get the broadcast.
    m.lock();
    done = true;
    m.unlock();
    cond.notify_all();
    ASSERT_TRUE(wait_or_fail(wg, "round's fibers"));
  }
  fibers.wait();
}

GORO_INSTANTIATE(CondConformanceTest, 1, 2, 4);

}  // namespace
