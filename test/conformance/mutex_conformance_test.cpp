// Go's sync/mutex_test.go, ported onto goro::mutex (and goro::semaphore for
// TestSemaphore). Each test names the Go test it ports.
// Differences on purpose: Go's misuse of a mutex (unlock of an unlocked Mutex or RWMutex)
// is a fatal error ("sync: unlock of unlocked mutex"); goro throws goro::mutex_error and
// leaves the mutex as it was. The benchmarks are not ported.
#include <functional>
#include <utility>

#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
using conformance::recv_or_fail;
using MutexConformanceTest = goro_test::RuntimeTest;

// Go: TestSemaphore (the runtime semaphore under sync.Mutex): 10 fibers acquire and release
// a semaphore of one, 1000 times each.
TEST_P(MutexConformanceTest, Semaphore) {
  conformance::fiber_group fibers;
  goro::semaphore s(1);
  goro::chan<bool> c(0);
  for (int i = 0; i < 10; ++i)
    fibers.go([&s, c] {
      for (int k = 0; k < 1000; ++k) {
        s.acquire();
        s.release();
      }
      c.send(true);
    });
  for (int i = 0; i < 10; ++i) recv_or_fail(c, "HammerSemaphore");
  fibers.wait();
}

// Go: TestMutex: 10 fibers lock and unlock one mutex, 1000 times each (counted here).
TEST_P(MutexConformanceTest, Mutex) {
  conformance::fiber_group fibers;
  goro::mutex m;
  long counter = 0;
  goro::chan<bool> c(0);
  for (int i = 0; i < 10; ++i)
    fibers.go([&, c] {
      for (int k = 0; k < 1000; ++k) {
        m.lock();
        ++counter;
        m.unlock();
      }
      c.send(true);
    });
  for (int i = 0; i < 10; ++i) recv_or_fail(c, "HammerMutex");
  EXPECT_EQ(counter, 10'000);
  fibers.wait();
}

// Go: TestMutexMisuse, each of misuseTests: every one is reported, naming the misuse.
TEST_P(MutexConformanceTest, MutexMisuse) {
  std::pair<const char*, std::function<void()>> misuse[] = {
      {"Mutex.Unlock",
       [] {
         goro::mutex mu;
         mu.unlock();
       }},
      {"Mutex.Unlock2",
       [] {
         goro::mutex mu;
         mu.lock();
         mu.unlock();
         mu.unlock();
       }},
      {"RWMutex.Unlock",
       [] {
         goro::rwmutex mu;
         mu.unlock();
       }},
      {"RWMutex.Unlock2",
       [] {
         goro::rwmutex mu;
         mu.lock_shared();
         try {
           mu.unlock();
         } catch (...) {
           mu.unlock_shared();  // left as it was: still read-locked
           throw;
         }
       }},
      {"RWMutex.Unlock3",
       [] {
         goro::rwmutex mu;
         mu.lock();
         mu.unlock();
         mu.unlock();
       }},
      {"RWMutex.RUnlock",
       [] {
         goro::rwmutex mu;
         mu.unlock_shared();
       }},
      {"RWMutex.RUnlock2",
       [] {
         goro::rwmutex mu;
         mu.lock();
         try {
           mu.unlock_shared();
         } catch (...) {
           mu.unlock();  // left as it was: still write-locked
           throw;
         }
       }},
      {"RWMutex.RUnlock3",
       [] {
         goro::rwmutex mu;
         mu.lock_shared();
         mu.unlock_shared();
         mu.unlock_shared();
       }},
  };
  for (auto& [name, f] : misuse) {
    try {
      f();
      ADD_FAILURE() << name << ": no misuse reported";
    } catch (const goro::mutex_error& e) {
      EXPECT_NE(std::string(e.what()).find("unlock"), std::string::npos)
          << name << ": " << e.what();
    }
  }
}

// Go: TestMutexFairness: a fiber that keeps relocking a mutex it holds for 100 us at a time
// cannot starve another that wants it 10 times (Go gives it 10 s; here the bounded wait).
TEST_P(MutexConformanceTest, MutexFairness) {
  conformance::fiber_group fibers;
  goro::mutex mu;
  goro::chan<bool> stop(0);
  goro::wait_group hog;
  hog.add(1);
  fibers.go([&, stop] {
    for (;;) {
      mu.lock();
      goro::this_fiber::sleep_for(100us);  // the workload: holding the lock, not a sync
      mu.unlock();
      if (goro::select(goro::recv(stop), goro::otherwise()) == 0) break;
    }
    hog.done();
  });
  goro::chan<bool> done(1);
  fibers.go([&, done] {
    for (int i = 0; i < 10; ++i) {
      goro::this_fiber::sleep_for(100us);
      mu.lock();
      mu.unlock();
    }
    done.send(true);
  });
  EXPECT_EQ(recv_or_fail(done, "can't acquire mutex"), true);
  stop.close();
  conformance::wait_or_fail(hog, "hog");
  fibers.wait();
}

GORO_INSTANTIATE(MutexConformanceTest, 1, 2, 4);

}  // namespace
