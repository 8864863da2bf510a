// wait_group's lifetime rule: once wait() returns, the wait_group may be destroyed, even
// while the done() that released it is still returning (WG1 in wait_group.hpp). Each round
// frees the wait_group right after wait(); AddressSanitizer reports any later touch by
// done(). Also: stop requests racing with the last done() never lose a waiter.
#include <atomic>
#include <memory>
#include <stop_token>
#include <thread>

#include <goro/wait_group.hpp>

#include "goro_test.hpp"

namespace {

using WaitGroupStressTest = goro_test::RuntimeTest;

TEST_P(WaitGroupStressTest, FreedRightAfterWaitWhileDoneReturns) {
  constexpr int rounds = 100'000;
  std::atomic<goro::wait_group*> slot{nullptr};
  std::atomic<bool> finished{false};
  long dones = 0;         // the doer's own
  std::thread doer([&] {  // calls done() on whatever wait_group is published
    while (!finished.load(std::memory_order_acquire))
      if (auto* wg = slot.exchange(nullptr, std::memory_order_acq_rel)) {
        wg->done();
        ++dones;
      }
  });
  auto waiter = goro::spawn([&] {
    int released = 0;
    for (int i = 0; i < rounds; ++i) {
      auto wg = std::make_unique<goro::wait_group>();
      wg->add(1);
      slot.store(wg.get(), std::memory_order_release);
      goro_test::bounded(fmt::format("round {}: wait() returned", i), [&] { wg->wait(); });
      ++released;
    }  // each freed here, as soon as wait() returns
    return released;
  });
  EXPECT_EQ(goro_test::bounded("every round's wait returned", [&] { return waiter.join(); }),
            rounds);
  finished.store(true, std::memory_order_release);
  doer.join();
  EXPECT_EQ(dones, rounds);
}

TEST_P(WaitGroupStressTest, StopRacingTheLastDoneLosesNoWaiter) {
  constexpr int rounds = 10'000;
  int stopped = 0, reached = 0;
  for (int i = 0; i < rounds; ++i) {
    auto wg = std::make_unique<goro::wait_group>();
    wg->add(1);
    std::stop_source src;
    auto w = goro::spawn([&wg, t = src.get_token()] { return wg->wait(t); });
    auto d = goro::spawn([&wg] { wg->done(); });
    src.request_stop();
    goro_test::bounded(fmt::format("round {}: waiter and doer returned", i), [&] {
      (w.join() ? reached : stopped) += 1;  // either is right; neither may hang
      d.join();
    });
  }
  EXPECT_EQ(stopped + reached, rounds);
}

GORO_INSTANTIATE(WaitGroupStressTest, 1, 2);

}  // namespace
