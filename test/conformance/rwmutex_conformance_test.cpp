// Go's sync/rwmutex_test.go, ported onto goro::rwmutex (goro::shared_mutex): RLock is
// lock_shared(), RUnlock unlock_shared(). Each test names the Go test it ports. Go's tests
// set GOMAXPROCS inside; here the fixture's P (1, 2, 4) stands for it. The benchmarks are
// not ported. TestRLocker's rl is the mutex's shared side (goro has no RLocker: a
// std::shared_lock is its C++ form).
#include <atomic>
#include <string>

#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using conformance::recv_or_fail;
using RWMutexConformanceTest = goro_test::RuntimeTest;

void do_test_parallel_readers(int num_readers) {
  conformance::fiber_group fibers;
  goro::rwmutex m;
  goro::chan<bool> clocked(0), cunlock(0), cdone(0);
  for (int i = 0; i < num_readers; ++i)
    fibers.go([&m, clocked, cunlock, cdone] {
      m.lock_shared();
      clocked.send(true);
      cunlock.recv();
      m.unlock_shared();
      cdone.send(true);
    });
  // Wait for all parallel lock_shared()s to succeed.
  for (int i = 0; i < num_readers; ++i) recv_or_fail(clocked, "reader holding the lock");
  for (int i = 0; i < num_readers; ++i) cunlock.send(true);
  for (int i = 0; i < num_readers; ++i) recv_or_fail(cdone, "reader's end");
  fibers.wait();
}

// Go: TestParallelReaders: 1, 3 and 4 readers hold the read lock at once.
TEST_P(RWMutexConformanceTest, ParallelReaders) {
  do_test_parallel_readers(1);
  do_test_parallel_readers(3);
  do_test_parallel_readers(4);
}

// Go's `for i := 0; i < 100; i++ {}` inside the lock.
void spin() {
  for (int k = 0; k < 100; ++k) asm volatile("" ::: "memory");
}

// Go: HammerRWMutex: two writers and num_readers readers; activity counts active readers
// plus 10000 per active writer, and must never show a writer beside anyone.
void hammer_rwmutex(int num_readers, int iterations) {
  conformance::fiber_group fibers;
  std::atomic<int> activity{0};
  std::atomic<int> violations{0};
  goro::rwmutex rwm;
  goro::chan<bool> cdone(0);
  auto writer = [&, cdone] {
    for (int i = 0; i < iterations; ++i) {
      rwm.lock();
      if (activity.fetch_add(10000) + 10000 != 10000) violations.fetch_add(1);
      spin();
      activity.fetch_sub(10000);
      rwm.unlock();
    }
    cdone.send(true);
  };
  auto reader = [&, cdone] {
    for (int i = 0; i < iterations; ++i) {
      rwm.lock_shared();
      int n = activity.fetch_add(1) + 1;
      if (n < 1 || n >= 10000) violations.fetch_add(1);
      spin();
      activity.fetch_sub(1);
      rwm.unlock_shared();
    }
    cdone.send(true);
  };
  fibers.go(writer);
  int i = 0;
  for (; i < num_readers / 2; ++i) fibers.go(reader);
  fibers.go(writer);
  for (; i < num_readers; ++i) fibers.go(reader);
  // Wait for the 2 writers and all readers to finish.
  for (int k = 0; k < 2 + num_readers; ++k) recv_or_fail(cdone, "hammer fiber");
  EXPECT_EQ(violations.load(), 0) << num_readers << " readers";
  fibers.wait();
}

// Go: TestRWMutex.
TEST_P(RWMutexConformanceTest, RWMutex) {
  const int n = static_cast<int>(goro_test::scaled(1000));
  hammer_rwmutex(1, n);
  hammer_rwmutex(3, n);
  hammer_rwmutex(10, n);
  hammer_rwmutex(5, n);
}

// Go: TestRLocker: the shared side read-locks (a writer waits for both read locks to go),
// and respects the write lock.
TEST_P(RWMutexConformanceTest, RLocker) {
  conformance::fiber_group fibers;
  goro::rwmutex wl;
  goro::chan<bool> wlocked(1), rlocked(1);
  constexpr int n = 10;
  goro::wait_group wg;
  wg.add(1);
  fibers.go([&, wlocked, rlocked] {
    for (int i = 0; i < n; ++i) {
      wl.lock_shared();
      wl.lock_shared();
      rlocked.send(true);
      wl.lock();
      wlocked.send(true);
    }
    wg.done();
  });
  for (int i = 0; i < n; ++i) {
    recv_or_fail(rlocked, "read locks");
    wl.unlock_shared();
    EXPECT_EQ(wlocked.try_recv(), std::nullopt) << "shared side didn't read-lock it";
    wl.unlock_shared();
    recv_or_fail(wlocked, "write lock");
    EXPECT_EQ(rlocked.try_recv(), std::nullopt) << "shared side didn't respect the write lock";
    wl.unlock();
  }
  conformance::wait_or_fail(wg, "locking fiber");
  fibers.wait();
}

GORO_INSTANTIATE(RWMutexConformanceTest, 1, 2, 4);

}  // namespace
