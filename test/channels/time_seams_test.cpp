// Timers at their seams: durations near the maximum (Go saturates: such a timer never
// fires), timer::stop/reset of a timer that fired and was not received (Go 1.23's rule),
// and timer handles that outlive goro::shutdown().
#include <chrono>
#include <limits>
#include <memory>

#include <gmock/gmock.h>

#include <goro/context.hpp>
#include <goro/testing.hpp>

#include "goro_test.hpp"
#include "timers_peek.hpp"

namespace {

using namespace std::chrono_literals;
using goro_test::RuntimeTest;

constexpr auto forever = std::chrono::nanoseconds::max();
// "Never" for a deadline: further than any test will run (and than a wrapped sum).
constexpr std::int64_t a_century_ns = std::int64_t{100} * 365 * 24 * 3600 * 1'000'000'000;

using goro_test::earliest_timer;

using goro_test::pending_timers;

std::int64_t now_ns() { return goro::now().time_since_epoch().count(); }

// --- durations near the maximum saturate ---

// On the virtual clock, testing::wait() runs every timer that is due (it returns only once
// the earliest one lies ahead): a wrapped deadline would fire there.
TEST(TimeSaturationTest, AfterOfTheMaximumDurationNeverFires) {
  goro::testing::run({.seed = 1}, [] {
    auto c = goro::after(forever);
    goro::testing::wait();
    EXPECT_FALSE(c.try_recv()) << "after(nanoseconds::max()) fired";
    EXPECT_GT(earliest_timer(), now_ns() + a_century_ns);
    auto h = goro::after(std::chrono::hours::max());  // beyond nanoseconds' range
    goro::testing::wait();
    EXPECT_FALSE(h.try_recv()) << "after(hours::max()) fired";
  });
}

TEST(TimeSaturationTest, TimerOfTheMaximumDurationNeverFiresAndStops) {
  goro::testing::run({.seed = 1}, [] {
    goro::timer t(forever);
    goro::testing::wait();
    EXPECT_FALSE(t.c().try_recv()) << "timer(nanoseconds::max()) fired";
    EXPECT_GT(earliest_timer(), now_ns() + a_century_ns);
    EXPECT_TRUE(t.reset(std::chrono::hours::max()));  // still pending
    goro::testing::wait();
    EXPECT_FALSE(t.c().try_recv()) << "reset(hours::max()) fired";
    EXPECT_TRUE(t.stop());
    EXPECT_EQ(pending_timers(), 0u);
  });
}

TEST(TimeSaturationTest, SelectTimeoutOfTheMaximumDurationNeverFires) {
  goro::testing::run({.seed = 1}, [] {
    goro::chan<int> c(0);
    int which = -1;
    goro::wait_group wg;
    wg.add(1);
    goro::go([&] {
      which = goro::select(goro::recv(c), goro::timeout(forever));
      wg.done();
    });
    goro::testing::wait();  // the select is parked, its timer queued
    EXPECT_EQ(which, -1) << "timeout(nanoseconds::max()) fired";
    EXPECT_GT(earliest_timer(), now_ns() + a_century_ns);
    if (which == -1) c.send(1);  // (else it returned already: nobody would receive)
    wg.wait();
    EXPECT_EQ(which, 0);
  });
}

TEST(TimeSaturationTest, TickOfTheMaximumPeriodNeverTicks) {
  goro::testing::run({.seed = 1}, [] {
    goro::ticker t(forever);
    // Scheduler passes (each runs the due timers), bounded: a wrapped period would keep the
    // tick due for ever, and testing::wait() would not return.
    for (int i = 0; i < 1000; ++i) goro::this_fiber::yield();
    EXPECT_FALSE(t.c().try_recv()) << "ticker(nanoseconds::max()) ticked";
    EXPECT_GT(earliest_timer(), now_ns() + a_century_ns);
  });
}

TEST(TimeSaturationTest, WithTimeoutOfTheMaximumDurationIsNotDone) {
  goro::testing::run({.seed = 1}, [] {
    auto [ctx, cancel] = goro::with_timeout(goro::context{}, forever);
    auto [ctx2, cancel2] = goro::with_timeout(goro::context{}, std::chrono::hours::max());
    goro::testing::wait();
    EXPECT_FALSE(ctx.err()) << ctx.cause();
    EXPECT_FALSE(ctx2.err()) << ctx2.cause();
    ASSERT_TRUE(ctx.deadline().has_value());
    EXPECT_GT(ctx.deadline()->time_since_epoch().count(), now_ns() + a_century_ns);
    cancel();
    cancel2();
  });
}

// --- stop/reset of a timer that fired and was not received (Go 1.23) ---

// Go's idiom `if (!t.Reset(d)) <-t.C` must not wait for d: the fired, unreceived value
// counts as pending, reset() discards it and reports true.
TEST(TimerRuleTest, ResetOfAFiredUnreceivedTimerDiscardsTheValueAndReportsTrue) {
  goro::testing::run({.seed = 1}, [] {
    goro::timer t(1ms);
    goro::this_fiber::sleep_for(2ms);  // virtual: the timer fires first, nobody receives
    ASSERT_EQ(t.c().size(), 1u);
    const std::int64_t before = now_ns();
    if (!t.reset(1h)) t.c().recv();  // the idiom: waits an hour if reset() says false
    EXPECT_EQ(now_ns(), before) << "reset() of a fired, unreceived timer reported false";
    EXPECT_FALSE(t.c().try_recv()) << "a stale value survived reset()";
    EXPECT_TRUE(t.stop());  // re-armed by the reset
  });
}

// Go's idiom `if (!t.Stop()) <-t.C` likewise.
TEST(TimerRuleTest, StopOfAFiredUnreceivedTimerDiscardsTheValueAndReportsTrue) {
  goro::testing::run({.seed = 1}, [] {
    goro::timer t(1ms);
    goro::this_fiber::sleep_for(2ms);
    ASSERT_EQ(t.c().size(), 1u);
    EXPECT_TRUE(t.stop()) << "stop() of a fired, unreceived timer reported false";
    EXPECT_FALSE(t.c().try_recv()) << "a stale value survived stop()";
    EXPECT_FALSE(t.stop());  // stopped already
  });
}

TEST(TimerRuleTest, StopAndResetOfAFiredReceivedTimerReportFalse) {
  goro::testing::run({.seed = 1}, [] {
    goro::timer t(1ms);
    ASSERT_TRUE(t.c().recv());
    EXPECT_FALSE(t.stop());
    EXPECT_FALSE(t.reset(1ms));
    ASSERT_TRUE(t.c().recv());
    EXPECT_FALSE(t.reset(1ms));
    EXPECT_TRUE(t.stop());
  });
}

// --- handles that outlive shutdown() ---

class TimerAfterShutdownTest : public RuntimeTest {};

// Destroying (or stopping) a handle after shutdown touches no freed timer heap (ASan).
TEST_P(TimerAfterShutdownTest, HandlesAreStoppedAndDestroyedAfterShutdown) {
  auto t = std::make_unique<goro::timer>(1h);
  auto f = std::make_unique<goro::timer>(1h, [] {});
  auto k = std::make_unique<goro::ticker>(1h);
  auto a = std::make_unique<goro::recv_chan<goro::time_point>>(goro::after(1h));
  std::unique_ptr<goro::timer> ft;  // the same from a fiber: on that processor's heap
  std::unique_ptr<goro::recv_chan<goro::time_point>> fa;
  goro::spawn([&] {
    ft = std::make_unique<goro::timer>(1h);
    fa = std::make_unique<goro::recv_chan<goro::time_point>>(goro::after(1h));
  }).join();
  EXPECT_EQ(pending_timers(), 6u);
  goro::shutdown();
  EXPECT_TRUE(t->stop());  // it will never fire: stopped before firing
  EXPECT_FALSE(t->stop());
  t.reset();
  f.reset();
  k.reset();
  a.reset();
  ft.reset();
  fa.reset();
}

// A timer of an earlier run, stopped after the next start, leaves that run's timers alone
// (the heaps of the new processors may be the old ones).
TEST_P(TimerAfterShutdownTest, AnOldTimerStoppedAfterARestartLeavesTheNewTimersAlone) {
  auto old_timer = std::make_unique<goro::timer>(1h);
  auto old_after = std::make_unique<goro::recv_chan<goro::time_point>>(goro::after(1h));
  goro::shutdown();
  goro::start({.procs = GetParam()});
  goro::timer fresh(1h);
  auto fresh_after = goro::after(1h);
  EXPECT_EQ(pending_timers(), 2u);
  EXPECT_TRUE(old_timer->stop());
  old_timer.reset();
  old_after.reset();
  EXPECT_EQ(pending_timers(), 2u);
  EXPECT_TRUE(fresh.stop());
  EXPECT_EQ(pending_timers(), 1u);
}

// reset() after shutdown starts the runtime again (as any first use does) and fires.
TEST_P(TimerAfterShutdownTest, ResetAfterShutdownArmsItOnTheNextRun) {
  goro::timer t(1h);
  goro::shutdown();
  EXPECT_TRUE(t.reset(1ms));  // it had never fired
  EXPECT_TRUE(goro::running());
  EXPECT_TRUE(t.c().recv().has_value());
}

GORO_INSTANTIATE(TimerAfterShutdownTest, 1, 2, 4);

// --- ticker::reset (Go's Ticker.Reset) ---

// On the virtual clock: ticks come every period from the start, then every new period
// from the reset; a tick waiting at the reset is dropped; a stopped ticker starts again.
TEST(TickerResetTest, ResetRestartsWithTheNewPeriodFromNow) {
  using namespace std::chrono_literals;
  goro::testing::run({.seed = 1}, [] {
    goro::ticker t(10ms);
    const auto t0 = goro::now();
    ASSERT_TRUE(t.c().recv());
    EXPECT_EQ(goro::now() - t0, 10ms);
    goro::this_fiber::sleep_for(15ms);  // the tick of t0 + 20 ms waits in the channel
    const auto r = goro::now();
    t.reset(100ms);
    EXPECT_FALSE(t.c().try_recv()) << "a tick from before the reset";
    ASSERT_TRUE(t.c().recv());
    EXPECT_EQ(goro::now() - r, 100ms);
    ASSERT_TRUE(t.c().recv());
    EXPECT_EQ(goro::now() - r, 200ms);
    t.stop();
    const auto r2 = goro::now();
    t.reset(7ms);
    ASSERT_TRUE(t.c().recv());
    EXPECT_EQ(goro::now() - r2, 7ms);
    EXPECT_THROW(t.reset(0ms), goro::option_error);
    ASSERT_TRUE(t.c().recv());  // still ticking with its period
    EXPECT_EQ(goro::now() - r2, 14ms);
    t.stop();
    EXPECT_EQ(pending_timers(), 0u);
  });
}

}  // namespace
