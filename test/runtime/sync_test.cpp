#include <goro/condition_variable.hpp>
#include <goro/mutex.hpp>
#include <goro/once.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "goro_test.hpp"

namespace {

using SyncTest = goro_test::RuntimeTest;

// 64 fibers and 2 threads increment one plain counter under the mutex: no increment lost.
TEST_P(SyncTest, MutexHammerKeepsAnExactCount) {
  goro::mutex mu;
  long counter = 0;
  const int fibers = 64, per = static_cast<int>(goro_test::scaled(10'000));
  goro::wait_group wg;
  wg.add(fibers);
  for (int f = 0; f < fibers; ++f)
    goro::go([&, f] {
      for (int i = 0; i < per; ++i) {
        std::lock_guard g(mu);
        ++counter;
        if ((i + f) % 64 == 0) goro::this_fiber::yield();  // park while others wait
      }
      wg.done();
    });
  std::vector<std::thread> ts;
  for (int t = 0; t < 2; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < per; ++i) {
        std::lock_guard g(mu);
        ++counter;
      }
    });
  wg.wait();
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, long{fibers + 2} * per);
}

TEST_P(SyncTest, UnlockOfAnUnlockedMutexThrows) {
  goro::mutex mu;
  EXPECT_THROW(mu.unlock(), goro::mutex_error);
  mu.lock();
  EXPECT_FALSE(mu.try_lock());
  mu.unlock();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST_P(SyncTest, ScopedLockTakesTwoMutexesWithoutDeadlock) {
  goro::mutex a, b;
  int n = 0;
  const int rounds = static_cast<int>(goro_test::scaled(2000));
  auto h1 = goro::spawn([&] {
    for (int i = 0; i < rounds; ++i) {
      std::scoped_lock g(a, b);
      ++n;
    }
  });
  auto h2 = goro::spawn([&] {
    for (int i = 0; i < rounds; ++i) {
      std::scoped_lock g(b, a);
      ++n;
      goro::this_fiber::yield();
    }
  });
  h1.join();
  h2.join();
  EXPECT_EQ(n, 2 * rounds);
}

// Starvation bound: a hog re-locks right after every unlock; a contender must still get
// the lock within a bounded number of the hog's cycles (starvation mode hands it over
// after two lost races). Run with no more processors than cores: on an oversubscribed
// machine the OS may deschedule the contender's thread for a whole time slice, and no
// count can bound that.
using MutexFairnessTest = goro_test::RuntimeTest;
TEST_P(MutexFairnessTest, WaiterIsNotStarvedByABargingHog) {
  goro::mutex mu;
  std::atomic<bool> stop{false};
  std::atomic<long> cycles{0};
  auto hog = goro::spawn([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      mu.lock();
      cycles.fetch_add(1, std::memory_order_relaxed);
      mu.unlock();
      goro::this_fiber::yield();  // lets the contender run on one processor too
    }
  });
  long worst = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto contender = goro::spawn([&] {
      long before = cycles.load(std::memory_order_relaxed);
      mu.lock();
      long waited = cycles.load(std::memory_order_relaxed) - before;
      mu.unlock();
      return waited;
    });
    worst = std::max(worst, contender.join());
  }
  stop = true;
  hog.join();
  std::printf("worst wait: %ld hog cycles\n", worst);
  EXPECT_LE(worst, 1000) << "hog cycles a waiter sat through";
}

TEST_P(SyncTest, NotifyAllWakesEveryWaiterNotifyOneWakesOne) {
  goro::mutex mu;
  goro::condition_variable cv;
  int generation = 0, woken = 0;
  const int n = 200;
  goro::wait_group waiting, done;
  waiting.add(n);
  done.add(n);
  for (int i = 0; i < n; ++i)
    goro::go([&] {
      {
        std::unique_lock lk(mu);
        waiting.done();
        cv.wait(lk, [&] { return generation > 0; });
        ++woken;
      }
      done.done();  // after the unlock: the mutex may be gone once all are done
    });
  waiting.wait();
  {
    std::lock_guard g(mu);  // every waiter is inside wait() once we hold the lock
    generation = 1;
  }
  cv.notify_all();
  done.wait();
  EXPECT_EQ(woken, n);

  // notify_one: exactly one of three waiters proceeds per notify.
  int tokens = 0, taken = 0;
  goro::wait_group three;
  three.add(3);
  waiting.add(3);
  for (int i = 0; i < 3; ++i)
    goro::go([&] {
      {
        std::unique_lock lk(mu);
        waiting.done();
        cv.wait(lk, [&] { return tokens > 0; });
        --tokens;
        ++taken;
      }
      three.done();
    });
  waiting.wait();
  for (int i = 0; i < 3; ++i) {
    {
      std::lock_guard g(mu);
      ++tokens;
    }
    cv.notify_one();
  }
  three.wait();
  EXPECT_EQ(taken, 3);
  EXPECT_EQ(tokens, 0);
}

TEST_P(SyncTest, WaitWithoutTheLockThrows) {
  goro::mutex mu;
  goro::condition_variable cv;
  std::unique_lock lk(mu, std::defer_lock);
  EXPECT_THROW(cv.wait(lk), goro::mutex_error);
}

TEST_P(SyncTest, OnceRunsExactlyOnceAndOthersSeeItsEffects) {
  goro::once init;
  std::atomic<int> runs{0};
  int value = 0;  // plain: ordered by once
  std::atomic<int> wrong{0};
  goro::wait_group wg;
  const int n = 100;
  wg.add(n);
  for (int i = 0; i < n; ++i)
    goro::go([&] {
      init.call([&] {
        runs.fetch_add(1);
        goro::this_fiber::yield();  // others arrive and wait meanwhile
        value = 42;
      });
      if (value != 42) wrong.fetch_add(1);
      wg.done();
    });
  wg.wait();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(SyncTest, OnceRetriesAfterAnException) {
  goro::once init;
  int attempts = 0;
  EXPECT_THROW(init.call([&] {
    ++attempts;
    throw std::runtime_error("first try fails");
  }),
               std::runtime_error);
  EXPECT_FALSE(init.done_already());
  init.call([&] { ++attempts; });
  init.call([&] { ++attempts; });
  EXPECT_EQ(attempts, 2);
  EXPECT_TRUE(init.done_already());
}

GORO_INSTANTIATE(SyncTest, 1, 2, 4);
GORO_INSTANTIATE(MutexFairnessTest, 1, 2);

}  // namespace
