// goro::scope: every fiber is joined, the first failure cancels the rest and is rethrown,
// the others are kept, the limit bounds concurrency, no fiber outlives the scope.
#include <atomic>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>

#include <goro/scope.hpp>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;

class ScopeTest : public goro_test::RuntimeTest {};

TEST_P(ScopeTest, JoinsEveryFiberBeforeItEnds) {
  std::vector<int> results(100, 0);  // borrowed by the fibers from this frame
  {
    goro::scope s;
    for (int i = 0; i < 100; ++i)
      s.spawn([&results, i] { results[static_cast<std::size_t>(i)] = i * i; });
    s.wait();
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)], i * i);
}

TEST_P(ScopeTest, FirstFailureCancelsTheOthersAndIsRethrown) {
  std::atomic<int> cancelled{0};
  goro::scope s;
  constexpr int waiters = 20;
  for (int i = 0; i < waiters; ++i) {
    s.spawn([&](const goro::context& ctx) {
      goro::select(goro::recv(ctx.done()));  // until the scope is cancelled
      cancelled.fetch_add(1);
    });
  }
  s.spawn([] { throw std::runtime_error("first"); });
  try {
    s.wait();
    ADD_FAILURE() << "wait() did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "first");
  }
  EXPECT_EQ(cancelled.load(), waiters);
  EXPECT_EQ(s.ctx().err(), goro::context_error::canceled);
  EXPECT_THAT(s.ctx().cause(), ::testing::HasSubstr("a fiber failed: first"));
  EXPECT_NO_THROW(s.wait());  // rethrown once
}

TEST_P(ScopeTest, LaterFailuresAreKept) {
  goro::scope s;
  s.spawn([](const goro::context& ctx) {
    goro::select(goro::recv(ctx.done()));  // cancelled once the first failure is recorded
    throw std::logic_error("second");
  });
  s.spawn([] { throw std::runtime_error("first"); });
  EXPECT_THROW(s.wait(), std::runtime_error);
  auto others = s.other_errors();
  ASSERT_EQ(others.size(), 1u);
  EXPECT_THROW(std::rethrow_exception(others[0]), std::logic_error);
}

TEST_P(ScopeTest, LimitBoundsConcurrency) {
  std::atomic<int> now{0}, most{0};
  goro::scope s({}, 3);
  for (int i = 0; i < 50; ++i) {
    s.spawn([&] {
      int n = now.fetch_add(1) + 1;
      for (int m = most.load(); n > m && !most.compare_exchange_weak(m, n);) {
      }
      goro::this_fiber::yield();
      now.fetch_sub(1);
    });
  }
  s.wait();
  EXPECT_LE(most.load(), 3);
  EXPECT_GE(most.load(), 1);
}

TEST_P(ScopeTest, TrySpawnRefusesWhenTheLimitIsReached) {
  goro::scope s({}, 2);
  goro::chan<int> gate(0);  // closed to let the two running fibers end
  std::atomic<int> ran{0};
  EXPECT_TRUE(s.try_spawn([&] {
    gate.recv();
    ++ran;
  }));
  EXPECT_TRUE(s.try_spawn([&] {
    gate.recv();
    ++ran;
  }));
  EXPECT_FALSE(s.try_spawn([&] { ++ran; }));  // both slots taken: not run
  gate.close();
  s.wait();
  EXPECT_EQ(ran.load(), 2);
  goro::scope unlimited;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(unlimited.try_spawn([&] { ++ran; }));
  unlimited.wait();
  EXPECT_EQ(ran.load(), 12);
}

TEST_P(ScopeTest, ParentCancellationReachesTheScope) {
  auto [parent, cancel] = goro::with_cancel(goro::context{});
  goro::scope s(parent);
  s.spawn([](const goro::context& ctx) { goro::select(goro::recv(ctx.done())); });
  cancel("parent says stop");
  s.wait();
  EXPECT_EQ(s.ctx().cause(), "parent says stop");
}

GORO_INSTANTIATE(ScopeTest, 1, 2, 4);

TEST(ScopeDeathTest, AnExceptionNobodyWaitedForIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        goro::scope s;
        s.spawn([] { throw std::runtime_error("lost"); });
      },
      "goro: fatal: a scope ended with an exception nobody waited for: lost");
}

}  // namespace
