#include <goro/blocking.hpp>

#include <atomic>
#include <latch>
#include <stdexcept>

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

TEST_P(BlockingTest, GoroWaitsInsideBlockingActAsThreadWaits) {
  goro::wait_group wg;
  wg.add(1);
  auto waiter = goro::spawn([&] { goro::blocking([&] { wg.wait(); }); });
  auto doner = goro::spawn([&] { wg.done(); });
  doner.join();
  waiter.join();
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

TEST_P(BlockingTest, FromAPlainThreadJustCalls) { EXPECT_EQ(goro::blocking([] { return 3; }), 3); }

GORO_INSTANTIATE(BlockingTest, 1, 2, 4);

}  // namespace
