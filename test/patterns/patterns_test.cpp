// The channel patterns: every value delivered exactly once, outputs closed, producers
// stopped when the reader stops, and no fiber left behind (the fixture checks that the
// live-fiber count is back to zero after each case).
#include <goro/patterns/fan_in.hpp>
#include <goro/patterns/generator.hpp>
#include <goro/patterns/pipeline.hpp>
#include <goro/patterns/rate_limiter.hpp>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>
#include <vector>

#include <gmock/gmock.h>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
namespace pt = goro::patterns;
using goro::context;

// A cancelled pattern's fibers end promptly but on their own: let them finish before the
// fixture checks that none is left (a fiber blocked for good still fails that check).
class PatternsTest : public goro_test::RuntimeTest {
 protected:
  void TearDown() override {
    for (int i = 0; i < 10'000 && goro::live_fibers() != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    RuntimeTest::TearDown();
  }
};

// A source channel with 0..n-1, closed at the end.
goro::recv_chan<int> numbers(int from, int n) {
  goro::chan<int> c(8);
  goro::go([c, from, n] {
    for (int i = from; i < from + n; ++i) c.send(i);
    c.close();
  });
  return c;
}

std::vector<int> drain(const goro::recv_chan<int>& c) {
  std::vector<int> out;
  for (int v : c) out.push_back(v);
  return out;
}

TEST_P(PatternsTest, StagesDeliverEveryValueInOrderAndClose) {
  context bg;
  auto squares = pt::stage(bg, numbers(0, 1000), [](int x) { return x * x; });
  auto plus1 = pt::stage(bg, squares, [](int x) { return x + 1; }, 16);
  auto got = drain(plus1);
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i * i + 1);
}

TEST_P(PatternsTest, MergeDeliversEveryValueOnceAndCloses) {
  std::vector<goro::recv_chan<int>> parts;
  for (int k = 0; k < 8; ++k) parts.push_back(numbers(k * 1000, 1000));
  auto got = drain(pt::merge(context{}, parts));
  std::sort(got.begin(), got.end());
  std::vector<int> want(8000);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(got, want);
}

TEST_P(PatternsTest, TeeGivesBothReadersEverything) {
  auto [a, b] = pt::tee(context{}, numbers(0, 500));
  auto other = goro::spawn([b = b] { return drain(b); });
  auto got_a = drain(a);
  auto got_b = other.join();
  std::vector<int> want(500);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(got_a, want);
  EXPECT_EQ(got_b, want);
}

TEST_P(PatternsTest, BridgeReadsChannelsOneAfterAnother) {
  goro::chan<goro::recv_chan<int>> chans(0);
  goro::go([chans] {
    for (int k = 0; k < 5; ++k) chans.send(numbers(k * 10, 10));
    chans.close();
  });
  auto got = drain(pt::bridge(context{}, goro::recv_chan<goro::recv_chan<int>>(chans)));
  std::vector<int> want(50);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(got, want);
}

TEST_P(PatternsTest, GeneratorProducesOnlyWhatIsReadAndStopsOnCancel) {
  auto [ctx, cancel] = goro::with_cancel(context{});
  std::atomic<int> produced{0};
  goro::wait_group ended;
  ended.add(1);
  auto gen = pt::generate<int>(ctx, [&](auto emit) {
    for (int i = 0;; ++i) {
      produced.fetch_add(1);
      if (!emit(i)) break;
    }
    ended.done();
  });
  for (int i = 0; i < 10; ++i) EXPECT_EQ(*gen.recv(), i);
  // Ten taken; the producer is blocked on the eleventh (unbuffered): at most 11 made.
  EXPECT_LE(produced.load(), 11);
  cancel();
  ended.wait();
  EXPECT_LE(produced.load(), 11);
  EXPECT_FALSE(gen.recv());  // closed after the producer returned
}

TEST_P(PatternsTest, CancellingAPipelineEndsEveryStage) {
  auto [ctx, cancel] = goro::with_cancel(context{});
  auto endless = pt::generate<int>(ctx, [](auto emit) {
    for (int i = 0; emit(i); ++i) {
    }
  });
  auto doubled = pt::stage(ctx, endless, [](int x) { return 2 * x; });
  auto guarded = pt::or_done(ctx, doubled);
  int seen = 0;
  for (int v : guarded) {
    EXPECT_EQ(v, 2 * seen);
    if (++seen == 100) cancel();  // the reader stops: every stage ends and closes
  }
  EXPECT_GE(seen, 100);
}

TEST_P(PatternsTest, RateLimiterAllowsTheBurstThenPaces) {
  pt::rate_limiter slow(1.0, 5);  // one token a second, five saved up
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += slow.allow();
  EXPECT_EQ(allowed, 5);
  // wait(): 20 tokens at 2000/s with a burst of 1 take at least ~9.5 ms.
  pt::rate_limiter fast(2000.0, 1);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(fast.wait(context{}));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 9ms);
  // A wait that its context ends returns the context's error.
  pt::rate_limiter glacial(0.001, 1);
  EXPECT_TRUE(glacial.allow());
  auto [ctx, cancel] = goro::with_cancel(context{});
  auto waiter = goro::spawn([ctx = ctx, &glacial] { return glacial.wait(ctx); });
  goro::this_fiber::yield();
  cancel();
  EXPECT_EQ(waiter.join(), goro::context_error::canceled);
  EXPECT_THROW(pt::rate_limiter(0, 1), goro::option_error);
}

GORO_INSTANTIATE(PatternsTest, 1, 2, 4);

}  // namespace
