// The channel patterns: every value delivered exactly once, outputs closed, producers
// stopped when the reader stops, and no fiber left behind (the fixture checks that the
// live-fiber count is back to zero after each case).
#include <algorithm>
#include <atomic>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>

#include <goro/patterns/actor.hpp>
#include <goro/patterns/event_emitter.hpp>
#include <goro/patterns/fan_in.hpp>
#include <goro/patterns/fan_out.hpp>
#include <goro/patterns/future.hpp>
#include <goro/patterns/generator.hpp>
#include <goro/patterns/pipeline.hpp>
#include <goro/patterns/pubsub.hpp>
#include <goro/patterns/rate_limiter.hpp>
#include <goro/scope.hpp>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
namespace pt = goro::patterns;
using goro::context;

// A cancelled pattern's fibers end promptly but on their own: let them finish before the
// fixture checks that none is left (a fiber blocked for good still fails that check).
class PatternsTest : public goro_test::RuntimeTest {
 protected:
  // A pattern given a context leaves detached fibers that end once they see it cancelled.
  // Let them: a fiber yields until it is the last one alive (no clock involved: each yield
  // lets every runnable fiber run; the bound turns a leak into a failure, not a hang).
  void TearDown() override {
    goro::spawn([] {
      for (long i = 0; i < 10'000'000 && goro::live_fibers() > 1; ++i) goro::this_fiber::yield();
    }).join();
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
  auto plus1 = pt::stage(
      bg, squares, [](int x) { return x + 1; }, 16);
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

TEST_P(PatternsTest, FanOutUnorderedDeliversEveryResultOnce) {
  auto out = pt::fan_out(context{}, numbers(0, 2000), 8, [](int x) {
    if (x % 7 == 0) goro::this_fiber::yield();  // finish out of order
    return x * 3;
  });
  auto got = drain(out);
  std::sort(got.begin(), got.end());
  ASSERT_EQ(got.size(), 2000u);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], 3 * i);
}

TEST_P(PatternsTest, FanOutOrderedKeepsTheInputOrder) {
  auto out = pt::fan_out(
      context{}, numbers(0, 2000), 8,
      [](int x) {
        for (int k = 0; k < x % 5; ++k) goro::this_fiber::yield();  // uneven work
        return x + 1;
      },
      pt::order::kept);
  auto got = drain(out);
  ASSERT_EQ(got.size(), 2000u);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i + 1);
}

TEST_P(PatternsTest, FutureValuesExceptionsAndContinuations) {
  pt::promise<int> p;
  auto doubled = p.get_future().then([](int x) { return x * 2; });
  auto text = doubled.then([](int x) { return std::to_string(x); });
  goro::go([p]() mutable { p.set_value(21); });
  EXPECT_EQ(doubled.get(), 42);
  EXPECT_EQ(text.get(), "42");
  EXPECT_EQ(doubled.get(), 42);  // again, and from a plain thread
  EXPECT_THROW(p.set_value(1), pt::promise_error);

  auto failing = pt::async([]() -> int { throw std::runtime_error("no value"); });
  auto after = failing.then([](int x) { return x + 1; });  // never runs fn
  EXPECT_THROW(failing.get(), std::runtime_error);
  EXPECT_THROW(after.get(), std::runtime_error);
  EXPECT_EQ(goro::select(goro::recv(after.ready()), goro::otherwise()), 0);  // ready
}

// A continuation waits without a fiber; a promise dropped unset breaks its futures (and
// their continuations) instead of leaving them waiting; when_all keeps the order given.
TEST_P(PatternsTest, FutureContinuationsBrokenPromisesAndWhenAll) {
  const auto before = goro::live_fibers();
  pt::future<int> orphan, orphan_then;
  {
    pt::promise<int> p;
    orphan = p.get_future();
    orphan_then = orphan.then([](int x) { return x + 1; });
    EXPECT_EQ(goro::live_fibers(), before);  // nothing runs until the value is there
  }                                          // the last copy of p goes unset
  EXPECT_THROW(orphan.get(), pt::promise_error);
  EXPECT_THROW(orphan_then.get(), pt::promise_error);

  std::vector<pt::promise<int>> ps(5);
  std::vector<pt::future<int>> fs;
  for (auto& p : ps) fs.push_back(p.get_future());
  auto all = pt::when_all(fs);
  for (int i = 4; i >= 0; --i) ps[static_cast<std::size_t>(i)].set_value(i * 10);  // last first
  EXPECT_EQ(all.get(), (std::vector<int>{0, 10, 20, 30, 40}));

  std::vector<pt::future<int>> some{pt::async([] { return 1; }),
                                    pt::async([]() -> int { throw std::logic_error("two"); })};
  EXPECT_THROW(pt::when_all(some).get(), std::logic_error);
}

TEST_P(PatternsTest, ActorSerializesEveryMessage) {
  std::map<std::string, int> final_state;
  {
    pt::actor<std::map<std::string, int>> counts;
    goro::wait_group wg;
    for (int f = 0; f < 20; ++f) {
      wg.add(1);
      goro::go([&] {
        for (int i = 0; i < 100; ++i) counts.tell([](auto& m) { ++m["hits"]; });
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(counts.ask([](auto& m) { return m["hits"]; }), 2000);  // after every tell
    counts.ask([&](auto& m) { final_state = m; });
  }
  EXPECT_EQ(final_state["hits"], 2000);
}

TEST_P(PatternsTest, BrokerGivesEachSubscriberItsCopyAndNeverWaits) {
  pt::broker<int> b;
  auto fast = b.subscribe(100);
  auto slow = b.subscribe(2);
  for (int i = 0; i < 10; ++i) b.publish(i);  // never blocks, slow fills at 2
  EXPECT_EQ(b.dropped(), 8u);
  b.unsubscribe(slow.id);
  b.close();
  auto got_fast = drain(fast.feed);
  auto got_slow = drain(slow.feed);
  EXPECT_EQ(got_fast, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(got_slow, (std::vector<int>{0, 1}));
}

TEST_P(PatternsTest, EmitterGivesEveryListenerOfTheEventEachEventInOrder) {
  std::vector<int> paid_a, paid_b, refunded;
  pt::event_emitter<int> shop;
  shop.on("paid", [&](const int& o) { paid_a.push_back(o); });
  auto b = shop.on(
      "paid", [&](const int& o) { paid_b.push_back(o); }, 1);  // a tiny mailbox
  shop.on("refunded", [&](const int& o) { refunded.push_back(o); });
  EXPECT_EQ(shop.listener_count("paid"), 2u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(shop.emit("paid", i), 2u);  // none dropped
  EXPECT_EQ(shop.emit("refunded", 7), 1u);
  EXPECT_EQ(shop.emit("nobody", 1), 0u);
  EXPECT_TRUE(shop.off(b));  // b has handled all 50 once off() returns
  EXPECT_FALSE(shop.off(b));
  std::vector<int> all(50);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(paid_b, all);
  EXPECT_EQ(shop.emit("paid", 50), 1u);  // only a now
  shop.close();
  all.push_back(50);
  EXPECT_EQ(paid_a, all);
  EXPECT_EQ(refunded, std::vector<int>{7});
  EXPECT_THROW(shop.on("paid", [](const int&) {}), std::logic_error);
}

TEST_P(PatternsTest, EmitterCloseRethrowsAListenersException) {
  pt::event_emitter<std::string> e;
  std::atomic<int> handled{0};
  e.on("line", [&](const std::string& s) {
    if (s == "bad") throw std::runtime_error("bad line");
    ++handled;
  });
  e.on("line", [&](const std::string&) { ++handled; });
  e.emit("line", "good");
  e.emit("line", "bad");
  for (int i = 0; i < 100; ++i) e.emit("line", "after");  // more than a mailbox: no wait
  EXPECT_THROW(e.close(), std::runtime_error);
  EXPECT_EQ(handled.load(), 103);  // the first listener: good only; the second: all 102
}

// In a scope, every pattern's fibers are the scope's: once wait() returns, none is left
// (counted at once, no waiting) and each has closed its output.
TEST_P(PatternsTest, PatternsInAScopeAreJoinedByItsWait) {
  const auto before = goro::live_fibers();
  std::vector<int> got;
  {
    goro::scope s;
    auto naturals = pt::generate<int>(s, [](auto emit) {
      for (int i = 0; emit(i); ++i) {
      }
    });
    auto [a, b] = pt::tee(s, naturals);
    auto squares = pt::stage(s, a, [](int x) { return x * x; });
    auto doubled = pt::fan_out(
        s, b, 3, [](int x) { return 2 * x; }, pt::order::kept);
    auto both = pt::merge(s, std::vector<goro::recv_chan<int>>{squares, doubled});
    for (int v : pt::or_done(s, both)) {
      got.push_back(v);
      if (got.size() == 20) break;
    }
    EXPECT_GT(goro::live_fibers(), before + 8);  // the pipeline is still running
    s.cancel();
    s.wait();
    EXPECT_EQ(goro::live_fibers(), before);
    // Closed already: each drain returns what was left in flight (unbuffered: nothing).
    for (auto* c : {&naturals, &a, &b, &squares, &doubled, &both}) EXPECT_TRUE(drain(*c).empty());
  }
  EXPECT_EQ(got.size(), 20u);
}

// A stage whose function throws closes its output; the scope is cancelled (the rest of the
// pipeline ends) and wait() rethrows the exception.
TEST_P(PatternsTest, AThrowingStageInAScopeClosesItsOutputAndFailsTheScope) {
  const auto before = goro::live_fibers();
  goro::scope s;
  auto nums = pt::generate<int>(s, [](auto emit) {
    for (int i = 0; emit(i); ++i) {
    }
  });
  auto checked = pt::stage(s, nums, [](int x) {
    if (x == 5) throw std::runtime_error("five");
    return x;
  });
  auto after = pt::stage(s, checked, [](int x) { return x + 100; });
  // A prefix of 100..104 (the cancel may overtake the last ones), then closed.
  auto got = drain(after);
  EXPECT_LE(got.size(), 5u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], 100 + static_cast<int>(i));
  EXPECT_THROW(s.wait(), std::runtime_error);
  EXPECT_TRUE(s.ctx().is_done());
  EXPECT_TRUE(drain(nums).empty());  // the generator saw the cancel and closed
  EXPECT_EQ(goro::live_fibers(), before);
}

GORO_INSTANTIATE(PatternsTest, 1, 2, 4);

}  // namespace
