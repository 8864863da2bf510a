// A processor handed off by goro::blocking while a plain thread queues a fiber globally:
// the fiber must run (R2 in scheduler.hpp). hand_off() once checked the global queue before
// taking the lock that made the processor idle, and a spawn in between was stranded: the
// join below then never returned (a hang within a few thousand rounds at P=1).
#include "goro_test.hpp"

namespace {

using HandOffStressTest = goro_test::RuntimeTest;

TEST_P(HandOffStressTest, FiberQueuedWhileTheProcessorIsHandedOffRuns) {
  const std::int64_t rounds = goro_test::scaled(20'000);
  std::int64_t doners_ran = 0, waiters_released = 0;
  for (std::int64_t i = 0; i < rounds; ++i) {
    goro::wait_group wg;
    wg.add(1);
    // Its processor is handed off as it enters blocking; the spawn below races with that.
    auto waiter = goro::spawn([&] { goro::blocking([&] { wg.wait(); }); });
    auto doner = goro::spawn([&] { wg.done(); });  // from this plain thread: global queue
    goro_test::bounded(fmt::format("round {}: the queued fiber ran", i), [&] {
      doner.join();
      ++doners_ran;
      waiter.join();
      ++waiters_released;
    });
  }
  EXPECT_EQ(doners_ran, rounds);
  EXPECT_EQ(waiters_released, rounds);
}

GORO_INSTANTIATE(HandOffStressTest, 1, 2);

}  // namespace
