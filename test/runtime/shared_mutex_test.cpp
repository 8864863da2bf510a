#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include <goro/shared_mutex.hpp>

#include "goro_test.hpp"

namespace {

using SharedMutexTest = goro_test::RuntimeTest;

// Fibers that have parked so far, all processors together. A fiber counts only once it is
// fully parked (its wait queue's lock released): the tests below use it to know that a
// fiber is queued on the mutex, with no sleeps.
std::uint64_t parks() {
  std::uint64_t total = 0;
  for (auto& p : goro::stats().processors) total += p.parks;
  return total;
}

// Every reader reaches a latch while holding the shared lock: only possible if they hold it
// together (an exclusive lock would deadlock here).
TEST_P(SharedMutexTest, ReadersHoldItTogether) {
  goro::shared_mutex mu;
  const int fibers = 8, threads = 2;
  goro::latch holding(fibers + threads), release(1);
  auto reader = [&] {
    mu.lock_shared();
    holding.count_down();
    release.wait();
    mu.unlock_shared();
  };
  std::vector<goro::join_handle<void>> hs;
  for (int i = 0; i < fibers; ++i) hs.push_back(goro::spawn(reader));
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i) ts.emplace_back(reader);
  holding.wait();  // all of them hold it now
  EXPECT_FALSE(mu.try_lock()) << "a writer got in past " << fibers + threads << " readers";
  ASSERT_TRUE(mu.try_lock_shared()) << "one more reader was turned away";
  mu.unlock_shared();
  release.count_down();
  for (auto& h : hs) h.join();
  for (auto& t : ts) t.join();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

// Fibers and threads, readers and writers, hammer one mutex. Invariants checked inside:
// while a writer holds it, active readers == 0 and writers == 1; while a reader holds it,
// writers == 0. A plain counter written by writers and read by readers: no lost write, and
// no data race for TSan to report.
TEST_P(SharedMutexTest, WritersExcludeEveryone) {
  goro::shared_mutex mu;
  std::atomic<int> readers{0}, writers{0}, broken{0};
  long counter = 0;  // plain: guarded by mu
  std::atomic<long> reads{0};
  const int wfibers = 8, rfibers = 16, per = static_cast<int>(goro_test::scaled(2000));
  auto write = [&](int i) {
    std::lock_guard g(mu);
    if (writers.fetch_add(1) != 0 || readers.load() != 0) broken.fetch_add(1);
    ++counter;
    if (i % 16 == 0) goro::this_fiber::yield();  // hold it across a scheduling point
    writers.fetch_sub(1);
  };
  auto read = [&](int i) {
    std::shared_lock g(mu);
    readers.fetch_add(1);
    if (writers.load() != 0) broken.fetch_add(1);
    if (counter < 0) broken.fetch_add(1);  // a read that races with writers under TSan
    if (i % 8 == 0) goro::this_fiber::yield();
    reads.fetch_add(1);
    readers.fetch_sub(1);
  };
  goro::wait_group wg;
  wg.add(wfibers + rfibers);
  for (int f = 0; f < wfibers; ++f)
    goro::go([&, f] {
      for (int i = 0; i < per; ++i) write(i + f);
      wg.done();
    });
  for (int f = 0; f < rfibers; ++f)
    goro::go([&, f] {
      for (int i = 0; i < per; ++i) read(i + f);
      wg.done();
    });
  std::vector<std::thread> ts;  // one writer thread, one reader thread
  ts.emplace_back([&] {
    for (int i = 0; i < per; ++i) write(i);
  });
  ts.emplace_back([&] {
    for (int i = 0; i < per; ++i) read(i);
  });
  wg.wait();
  for (auto& t : ts) t.join();
  EXPECT_EQ(broken.load(), 0);
  EXPECT_EQ(counter, long{wfibers + 1} * per);
  EXPECT_EQ(reads.load(), long{rfibers + 1} * per);
}

// Writer preference, exactly: a reader holds it, a writer waits; then new readers (fibers
// and a thread) must all wait behind the writer, though a reader still holds it.
TEST_P(SharedMutexTest, WaitingWriterHoldsBackNewReaders) {
  goro::shared_mutex mu;
  std::atomic<bool> written{false};
  std::atomic<int> ahead{0}, finished{0};
  mu.lock_shared();  // this thread is the reader in the way
  const std::uint64_t base = parks();
  auto w = goro::spawn([&] {
    mu.lock();
    written = true;
    mu.unlock();
  });
  while (parks() == base) std::this_thread::yield();  // the writer waits
  EXPECT_FALSE(mu.try_lock_shared()) << "try_lock_shared passed a waiting writer";
  const int n = 8;
  auto reader = [&] {
    mu.lock_shared();
    if (!written) ahead.fetch_add(1);
    mu.unlock_shared();
    finished.fetch_add(1);
  };
  std::vector<goro::join_handle<void>> hs;
  for (int i = 0; i < n; ++i) hs.push_back(goro::spawn(reader));
  std::thread t(reader);
  // All reader fibers queued (or, if the mutex let them pass, done).
  while (parks() - base < n + 1 && finished.load() < n) std::this_thread::yield();
  EXPECT_EQ(finished.load(), 0);
  mu.unlock_shared();
  w.join();
  for (auto& h : hs) h.join();
  t.join();
  EXPECT_EQ(ahead.load(), 0) << "readers that got in ahead of a waiting writer";
}

// Writer not starved by a continuous stream of readers (fibers and a thread), as a count.
// Each round, this thread holds a shared lock so the round's writer must wait; once it waits
// (some fiber parked: the writer, or a reader behind it), new readers must wait too. So
// between that moment and the writer's getting the lock, each stream reader can have
// counted at most one acquisition (the one it held when the writer came).
TEST_P(SharedMutexTest, WriterIsNotStarvedByAStreamOfReaders) {
  goro::shared_mutex mu;
  std::atomic<bool> stop{false};
  std::atomic<long> acquisitions{0};
  std::atomic<int> passed{0};
  // A cap ends the stream even if the writer is starved: the test then fails, not hangs.
  const long cap = goro_test::scaled(50'000);
  auto stream = [&] {
    for (long i = 0; i < cap && !stop.load(std::memory_order_relaxed); ++i) {
      mu.lock_shared();
      acquisitions.fetch_add(1);
      goro::this_fiber::yield();  // readers overlap: the lock is never free of them
      mu.unlock_shared();
      goro::this_fiber::yield();
    }
  };
  const int fibers = 4;
  std::vector<goro::join_handle<void>> hs;
  for (int i = 0; i < fibers; ++i) hs.push_back(goro::spawn(stream));
  std::thread t(stream);
  const int readers = fibers + 1;
  long worst = 0;
  for (int round = 0; round < 20; ++round) {
    mu.lock_shared();
    std::atomic<bool> done{false};
    const std::uint64_t base = parks();
    auto w = goro::spawn([&] {
      mu.lock();
      long got = acquisitions.load();
      done = true;
      mu.unlock();
      return got;
    });
    while (parks() == base && !done) std::this_thread::yield();
    EXPECT_FALSE(done.load()) << "a writer got in while a reader held the lock";
    if (mu.try_lock_shared()) {
      passed.fetch_add(1);
      mu.unlock_shared();
    }
    const long waiting_since = acquisitions.load();
    mu.unlock_shared();
    worst = std::max(worst, w.join() - waiting_since);
  }
  stop = true;
  for (auto& h : hs) h.join();
  t.join();
  EXPECT_EQ(passed.load(), 0) << "rounds in which a reader passed a waiting writer";
  EXPECT_LE(worst, readers) << "reader acquisitions while a writer waited";
}

// Readers not starved by writers, exactly: readers that queue during a write get in, all
// together, before the next (already waiting) writer.
TEST_P(SharedMutexTest, ReadersQueuedDuringAWriteGoBeforeTheNextWriter) {
  goro::shared_mutex mu;
  int writes = 0;  // plain: guarded by mu
  std::atomic<int> wrong{0}, finished{0}, entered{0};
  const int n = 8;
  goro::latch together(n);
  mu.lock();  // this thread is the writer in the way
  const std::uint64_t base = parks();
  std::vector<goro::join_handle<void>> hs;
  for (int i = 0; i < n; ++i)
    hs.push_back(goro::spawn([&] {
      mu.lock_shared();
      if (writes != 1) wrong.fetch_add(1);
      entered.fetch_add(1);
      together.arrive_and_wait();  // all n hold it at once
      mu.unlock_shared();
      finished.fetch_add(1);
    }));
  while (parks() - base < n && finished.load() < n) std::this_thread::yield();
  auto w = goro::spawn([&] {
    mu.lock();
    ++writes;
    int seen = entered.load();
    mu.unlock();
    return seen;
  });
  while (parks() - base < n + 1 && finished.load() < n) std::this_thread::yield();
  EXPECT_EQ(finished.load(), 0);
  writes = 1;
  mu.unlock();
  EXPECT_EQ(w.join(), n) << "readers in before the next writer";
  for (auto& h : hs) h.join();
  EXPECT_EQ(wrong.load(), 0) << "readers that saw the wrong write";
  EXPECT_EQ(writes, 2);
}

// Readers not starved by a continuous stream of writers (threads, each holding across a
// yield, so one always waits), as a count. Each round, this thread takes its turn as a
// writer and lets a reader fiber queue behind it (it parked: the writer threads never
// count as parks). When this thread unlocks, the reader must get in before any other
// writer: it sees no write after ours.
TEST_P(SharedMutexTest, ReadersAreNotStarvedByAStreamOfWriters) {
  goro::shared_mutex mu;
  std::atomic<bool> stop{false};
  long writes = 0;  // plain: guarded by mu
  // A cap ends the stream even if the readers are starved: the test then fails, not hangs.
  const long cap = goro_test::scaled(50'000);
  auto stream = [&] {
    for (long i = 0; i < cap && !stop.load(std::memory_order_relaxed); ++i) {
      mu.lock();
      ++writes;
      std::this_thread::yield();  // another writer queues meanwhile
      mu.unlock();
    }
  };
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) ts.emplace_back(stream);
  long worst = 0;
  for (int round = 0; round < 20; ++round) {
    mu.lock();
    const long ours = ++writes;
    const std::uint64_t base = parks();
    auto r = goro::spawn([&] {
      std::shared_lock g(mu);
      return writes;
    });
    while (parks() == base) std::this_thread::yield();  // the reader waits
    mu.unlock();
    worst = std::max(worst, r.join() - ours);
  }
  stop = true;
  for (auto& t : ts) t.join();
  EXPECT_EQ(worst, 0) << "writes that went ahead of a queued reader";
}

TEST_P(SharedMutexTest, WorksWithTheStandardLocks) {
  goro::rwmutex mu;  // Go's name, the same type
  goro::shared_mutex other;
  {
    std::shared_lock r1(mu);
    std::shared_lock r2(mu, std::try_to_lock);
    EXPECT_TRUE(r1.owns_lock());
    EXPECT_TRUE(r2.owns_lock());
    std::unique_lock w(mu, std::try_to_lock);
    EXPECT_FALSE(w.owns_lock());
  }
  {
    std::unique_lock w(mu);
    std::shared_lock r(mu, std::try_to_lock);
    EXPECT_FALSE(r.owns_lock());
    w.unlock();
    EXPECT_TRUE(r.try_lock());
  }
  int n = 0;
  const int rounds = static_cast<int>(goro_test::scaled(1000));
  auto h1 = goro::spawn([&] {
    for (int i = 0; i < rounds; ++i) {
      std::scoped_lock g(mu, other);
      ++n;
    }
  });
  auto h2 = goro::spawn([&] {
    for (int i = 0; i < rounds; ++i) {
      std::scoped_lock g(other, mu);  // the other order: std::lock avoids the deadlock
      ++n;
      goro::this_fiber::yield();
    }
  });
  h1.join();
  h2.join();
  EXPECT_EQ(n, 2 * rounds);
  std::lock_guard g(mu);
  EXPECT_FALSE(mu.try_lock_shared());
}

TEST_P(SharedMutexTest, MisuseThrowsAndLeavesItConsistent) {
  goro::shared_mutex mu;
  EXPECT_THROW(mu.unlock(), goro::mutex_error);
  EXPECT_THROW(mu.unlock_shared(), goro::mutex_error);
  mu.lock_shared();
  EXPECT_THROW(mu.unlock(), goro::mutex_error) << "unlock() by a reader";
  mu.unlock_shared();
  EXPECT_THROW(mu.unlock_shared(), goro::mutex_error);
  mu.lock();
  EXPECT_THROW(mu.unlock_shared(), goro::mutex_error) << "unlock_shared() by the writer";
  mu.unlock();
  EXPECT_THROW(mu.unlock(), goro::mutex_error);
  ASSERT_TRUE(mu.try_lock());
  mu.unlock();

  // A writer still waiting for a reader does not hold it yet: unlock() is misuse.
  mu.lock_shared();
  std::uint64_t base = parks();
  auto w = goro::spawn([&] {
    mu.lock();
    mu.unlock();
  });
  while (parks() == base) std::this_thread::yield();
  EXPECT_THROW(mu.unlock(), goro::mutex_error) << "unlock() while the writer waits";
  mu.unlock_shared();
  w.join();

  // A reader queued behind the writer does not hold it: unlock_shared() is misuse.
  mu.lock();
  base = parks();
  auto r = goro::spawn([&] {
    mu.lock_shared();
    mu.unlock_shared();
  });
  while (parks() == base) std::this_thread::yield();
  EXPECT_THROW(mu.unlock_shared(), goro::mutex_error) << "unlock_shared() with a reader queued";
  mu.unlock();
  r.join();

  // Nothing was left behind: it is free.
  ASSERT_TRUE(mu.try_lock());
  EXPECT_FALSE(mu.try_lock_shared());
  mu.unlock();
  ASSERT_TRUE(mu.try_lock_shared());
  EXPECT_FALSE(mu.try_lock());
  mu.unlock_shared();
  EXPECT_THROW(mu.unlock_shared(), goro::mutex_error);
}

TEST(SharedMutexWaitReason, NamesItsWaits) {
  using goro::detail::wait_reason;
  EXPECT_STREQ(goro::detail::to_string(wait_reason::rwmutex_lock), "rwmutex lock");
  EXPECT_STREQ(goro::detail::to_string(wait_reason::rwmutex_rlock), "rwmutex rlock");
}

GORO_INSTANTIATE(SharedMutexTest, 1, 2, 4);

}  // namespace
