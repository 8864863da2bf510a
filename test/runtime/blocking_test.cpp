#include <atomic>
#include <latch>
#include <stdexcept>

#include <unistd.h>

#include <goro/blocking.hpp>

#include "goro_test.hpp"

namespace {

using BlockingTest = goro_test::RuntimeTest;

// A fiber blocks its thread inside blocking() until another fiber of the same (single)
// processor releases it. Without the hand-off the processor would be stuck and the test
// would hang (caught by the ctest timeout).
TEST_P(BlockingTest, DoesNotStallTheOtherFibersOfItsProcessor) {
  std::latch released(1);
  auto blocker = goro::spawn([&] {
    return goro::blocking([&] {
      released.wait();  // an OS-level block, invisible to the scheduler
      return 7;
    });
  });
  auto releaser = goro::spawn([&] {
    for (int i = 0; i < 10; ++i) goro::this_fiber::yield();
    released.count_down();
  });
  releaser.join();
  EXPECT_EQ(blocker.join(), 7);
}

TEST_P(BlockingTest, PassesExceptionsThrough) {
  auto h = goro::spawn([] { goro::blocking([] { throw std::runtime_error("io failed"); }); });
  EXPECT_THROW(h.join(), std::runtime_error);
}

// Inside goro::blocking a fiber acts as a plain thread: a goro wait there blocks its OS
// thread on a futex (the fiber stays "running", its machine "blocking"), and another fiber
// releases it.
TEST_P(BlockingTest, GoroWaitsInsideBlockingActAsThreadWaits) {
  goro::wait_group wg;
  wg.add(1);
  std::atomic<int> tid{0};
  std::atomic<bool> released{false}, saw_release{false};
  auto waiter = goro::spawn([&] {
    goro::blocking([&] {
      tid.store(static_cast<int>(::gettid()), std::memory_order_release);
      wg.wait();
      saw_release.store(released.load(std::memory_order_relaxed), std::memory_order_relaxed);
    });
  });
  goro_test::wait_until("the waiter entered blocking", [&] { return tid.load() != 0; });
  // Its thread sleeps in the kernel: the only sleep left to it is wg.wait()'s futex.
  goro_test::wait_until("the waiter's thread sleeps in wg.wait()",
                        goro_test::thread_asleep(tid.load()));
  EXPECT_EQ(goro::stats().blocking_machines, 1);
  bool still_running = false;
  for (auto& f : goro::list_fibers(false))
    if (f.id == waiter.id()) still_running = f.state == "running";
  EXPECT_TRUE(still_running) << "a wait inside blocking must not park the fiber";
  auto doner = goro::spawn([&] {
    released.store(true, std::memory_order_relaxed);  // ordered by done() and wait()
    wg.done();
  });
  goro_test::bounded("the doner returned", [&] { doner.join(); });
  goro_test::bounded("the waiter returned", [&] { waiter.join(); });
  EXPECT_TRUE(saw_release.load()) << "wait() returned before done()";
  EXPECT_EQ(goro::stats().blocking_machines, 0);
}

TEST_P(BlockingTest, ManyConcurrentBlockingCalls) {
  const int n = 64;
  std::latch all(n);
  std::atomic<int> done{0};
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i)
    goro::go([&] {
      goro::blocking([&] { all.arrive_and_wait(); });  // needs n threads at once
      done.fetch_add(1);
      wg.done();
    });
  wg.wait();
  EXPECT_EQ(done.load(), n);
}

TEST_P(BlockingTest, FromAPlainThreadJustCalls) {
  EXPECT_EQ(goro::blocking([] { return 3; }), 3);
}

GORO_INSTANTIATE(BlockingTest, 1, 2, 4);

}  // namespace
