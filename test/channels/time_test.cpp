// after(), tick() and ticker: time as channels, from fibers and plain threads.
#include <thread>
#include <vector>

#include <gmock/gmock.h>

#include <goro/testing.hpp>

#include "goro_test.hpp"
#include "timers_peek.hpp"

namespace {

using namespace std::chrono_literals;
using goro_test::RuntimeTest;
using clk = std::chrono::steady_clock;

class TimeTest : public RuntimeTest {};

using goro_test::pending_timers;

TEST_P(TimeTest, AfterDeliversOnceNotBeforeItsTime) {
  auto check = [] {
    const auto t0 = clk::now();
    auto c = goro::after(3ms);
    auto v = c.recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - t0, 3ms);     // never early
    EXPECT_FALSE(c.try_recv());  // exactly one value
  };
  check();                               // from a plain thread
  goro::spawn([&] { check(); }).join();  // from a fiber
}

TEST_P(TimeTest, AfterInASelect) {
  goro::chan<int> never(0);
  int which = -1;
  goro::spawn([&] {
    which = goro::select(goro::recv(never), goro::recv(goro::after(1ms)));
  }).join();
  EXPECT_EQ(which, 1);
}

TEST_P(TimeTest, TickDeliversIncreasingTimesUntilItsChannelIsDropped) {
  goro::spawn([] {
    auto t = goro::tick(1ms);
    clk::time_point last{};
    for (int i = 0; i < 20; ++i) {
      auto v = t.recv();
      ASSERT_TRUE(v.has_value());
      EXPECT_GT(*v, last);
      last = *v;
    }
  }).join();
  // The handle is gone: the timer ends itself at its next firing (exactly so on the virtual
  // clock: ADroppedTickChannelEndsItsTimerAtTheNextFiring). Wait for it: a timer left
  // queued at shutdown would leak.
  goro_test::wait_until("the dropped tick's timer ended", [] { return pending_timers() == 0; });
}

// Once the last handle of a tick() channel is gone, its timer ends itself at its next
// firing. On the virtual clock of goro::testing: a sleep past that firing is exact.
TEST(TimeDeterministicTest, ADroppedTickChannelEndsItsTimerAtTheNextFiring) {
  std::size_t while_held = 0, after_drop = 0, after_next_firing = 0;
  goro::testing::run({.seed = 1}, [&] {
    {
      auto t = goro::tick(1ms);
      ASSERT_TRUE(t.recv().has_value());
      while_held = pending_timers();
    }
    after_drop = pending_timers();
    goro::this_fiber::sleep_for(1ms + 1ns);  // the tick's next firing comes first
    after_next_firing = pending_timers();
  });
  EXPECT_EQ(while_held, 1u);
  EXPECT_EQ(after_drop, 1u);         // not cancelled by the drop itself
  EXPECT_EQ(after_next_firing, 0u);  // ended at its firing
}

TEST_P(TimeTest, TickerStopsAndDropsItsLastTick) {
  auto h = goro::spawn([] {
    goro::ticker t(1ms);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(t.c().recv());
    // Stopped with a tick waiting in the channel: the case under test.
    goro_test::wait_until("a tick waiting in the channel", [&] { return t.c().size() == 1; });
    t.stop();
    auto c = t.c();
    EXPECT_FALSE(c.try_recv());        // dropped by stop()
    goro::this_fiber::sleep_for(5ms);  // five periods: ticks would have come
    EXPECT_FALSE(c.try_recv());
  });
  goro_test::bounded("the ticker fiber returned", [&] { h.join(); });
  EXPECT_EQ(pending_timers(), 0u);  // cancelled, or ended at its next firing
}

TEST_P(TimeTest, ManyTickersFromFibersAndThreads) {
  // Tickers started and stopped on every processor and from plain threads; ASan/LSan
  // check that every state is freed, TSan the stop/fire hand-off.
  goro::wait_group wg;
  for (int i = 0; i < 50; ++i) {
    wg.add(1);
    goro::go([&wg, i] {
      goro::ticker t(std::chrono::microseconds(50 + i));
      for (int k = 0; k < 10; ++k) t.c().recv();
      wg.done();
    });
  }
  std::thread th([] {
    for (int i = 0; i < 20; ++i) {
      goro::ticker t(100us);
      t.c().recv();
    }
  });
  wg.wait();
  th.join();
  // Every ticker is stopped; one stopped while its timer was firing on another processor
  // leaves the heap when that firing ends: wait for it without a clock (bounded yields).
  for (long i = 0; i < 10'000'000 && pending_timers() != 0; ++i) std::this_thread::yield();
  EXPECT_EQ(pending_timers(), 0u);
}

TEST_P(TimeTest, TimerFiresOnceThenStopSaysItWasLate) {
  goro::spawn([] {
    goro::timer t(2ms);
    EXPECT_TRUE(t.c().recv().has_value());
    EXPECT_FALSE(t.stop());  // it had fired
  }).join();
}

TEST_P(TimeTest, StoppedTimerNeverFiresAndResetRearmsIt) {
  goro::timer t(std::chrono::hours(1));
  EXPECT_TRUE(t.stop());   // stopped while pending
  EXPECT_FALSE(t.stop());  // already stopped
  EXPECT_FALSE(t.c().try_recv());
  EXPECT_FALSE(t.reset(1ms));                    // was not pending
  EXPECT_TRUE(t.c().recv().has_value());         // a plain thread waits for it
  EXPECT_FALSE(t.reset(std::chrono::hours(1)));  // had fired
  EXPECT_TRUE(t.reset(std::chrono::hours(1)));   // pending: re-armed
  EXPECT_TRUE(t.stop());
  EXPECT_EQ(pending_timers(), 0u);
}

TEST_P(TimeTest, FunctionTimerRunsOnItsOwnFiber) {
  goro::wait_group wg;
  wg.add(1);
  bool on_a_fiber = false;
  goro::timer t(1ms, [&] {
    on_a_fiber = goro::this_fiber::id() != 0;
    wg.done();
  });
  wg.wait();
  EXPECT_TRUE(on_a_fiber);
  EXPECT_FALSE(t.stop());
}

TEST_P(TimeTest, ResetStormNeverLosesOrDoublesAFiring) {
  // Many fibers re-arm their timers while they fire: each timer's channel holds at most
  // one value, and every final arming fires exactly once.
  goro::wait_group wg;
  std::atomic<int> fired{0};
  const int n = static_cast<int>(goro_test::scaled(200));
  for (int i = 0; i < n; ++i) {
    wg.add(1);
    goro::go([&, i] {
      goro::timer t(std::chrono::microseconds(i % 7));
      for (int k = 0; k < 50; ++k) {
        t.reset(std::chrono::microseconds((i + k) % 5));
        if (k % 3 == 0) goro::this_fiber::yield();
      }
      if (t.c().recv()) fired.fetch_add(1);
      EXPECT_FALSE(t.c().try_recv());
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(fired.load(), n);
}

TEST_P(TimeTest, LostAfterChannelsLeaveNoTimerBehind) {
  // Go 1.23's rule: an after() nobody can receive from any more is collected at once, not
  // an hour later. Every select below wins on `ready`; its after(1h) is dropped with it.
  const int n = static_cast<int>(goro_test::scaled(100'000));
  goro::chan<int> ready(1);
  goro::spawn([&] {
    for (int i = 0; i < n; ++i) {
      ready.send(i);
      int r = goro::select(goro::recv(ready), goro::recv(goro::after(std::chrono::hours(1))));
      ASSERT_EQ(r, 0);
    }
  }).join();
  EXPECT_EQ(pending_timers(), 0u);
  auto kept = goro::after(std::chrono::hours(1));  // a kept one stays pending
  EXPECT_EQ(pending_timers(), 1u);
}

TEST_P(TimeTest, ATimerMovesWithItsFiring) {
  goro::timer a(1ms);
  goro::timer b(std::move(a));
  EXPECT_TRUE(b.c().recv());  // the firing went with the move
  EXPECT_FALSE(a.stop()) << "a moved-from timer holds none";
  EXPECT_FALSE(a.c().underlying()) << "its channel is nil";
  EXPECT_THROW(a.reset(1ms), goro::timer_error);
  goro::timer c(std::chrono::hours(1));
  EXPECT_EQ(pending_timers(), 1u);
  c = goro::timer(std::chrono::hours(2));  // the hour-long one is stopped, not leaked
  EXPECT_EQ(pending_timers(), 1u);
  std::vector<goro::timer> kept;  // movable: they fit in a container
  for (int i = 0; i < 3; ++i) kept.emplace_back(std::chrono::hours(1));
  EXPECT_EQ(pending_timers(), 4u);
  kept.clear();
  EXPECT_EQ(pending_timers(), 1u);
}

TEST_P(TimeTest, ATickerMovesWithItsTicks) {
  goro::ticker t(1ms);
  goro::ticker u(std::move(t));
  EXPECT_TRUE(u.c().recv());
  EXPECT_THROW(t.reset(1ms), goro::timer_error);
  EXPECT_FALSE(t.c().underlying());
  u.reset(2ms);
  EXPECT_TRUE(u.c().recv());
  goro::ticker w(std::chrono::hours(1));
  w = std::move(u);  // w's hour-long ticker is stopped; u's ticking is w's now
  EXPECT_TRUE(w.c().recv());
}

// Go's time.AfterFunc with the *Timer ignored: the detached timer fires, then frees itself
// (under ASan, a leak or a use after free of its state fails the run).
TEST_P(TimeTest, ADetachedAfterFuncFiresAndFreesItself) {
  goro::wait_group wg;
  wg.add(1);
  goro::after_func(1ms, [&] { wg.done(); });
  goro_test::bounded("the detached function ran", [&] { wg.wait(); });
  goro::timer ch_timer(1ms);  // a channel timer detached: fires into its channel
  auto c = ch_timer.c();
  ch_timer.detach();
  EXPECT_THROW(ch_timer.reset(1ms), goro::timer_error);
  EXPECT_TRUE(c.recv());
  goro::timer stopped(std::chrono::hours(1), [] {});
  EXPECT_TRUE(stopped.stop());
  stopped.detach();  // neither armed nor firing: freed at once
  auto kept = goro::after_func(
      std::chrono::hours(1), [] {}, goro::keep);
  EXPECT_TRUE(kept.stop());
  goro_test::wait_until("no timer left", [] { return pending_timers() == 0; });
}

// Detach racing the firing: whichever side ends the timer frees it, exactly once (U3).
TEST_P(TimeTest, DetachRacesTheFiring) {
  const int n = static_cast<int>(goro_test::scaled(2'000));
  std::atomic<int> ran{0};
  goro::wait_group wg;
  for (int i = 0; i < n; ++i) {
    wg.add(1);
    goro::go([&, i] {
      goro::timer t(std::chrono::microseconds(i % 3), [&] { ran.fetch_add(1); });
      if (i % 2) goro::this_fiber::yield();
      t.detach();
      wg.done();
    });
  }
  wg.wait();
  goro_test::wait_until("every detached timer ran", [&] { return ran.load() == n; });
  EXPECT_EQ(ran.load(), n);
}

TEST_P(TimeTest, NonPositiveTickPeriodIsRejected) {
  EXPECT_THROW(goro::tick(0ms), goro::option_error);
  EXPECT_THROW(goro::ticker(-1ms), goro::option_error);
}

GORO_INSTANTIATE(TimeTest, 1, 2, 4);

}  // namespace
