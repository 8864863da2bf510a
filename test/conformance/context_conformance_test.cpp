// Go's context tests (context/x_test.go, whose bodies are in context_test.go), ported onto
// goro::context. Each test names the Go test it ports.
// Differences on purpose: goro's contexts have no String() (the name checks are dropped),
// no otherContext wrapper type (the custom-Context paths are not ported), and typed keys
// that compare by identity (goro::context_key), so a value of nil under a key (TestValues'
// c4) is a key carrying an empty optional here. Cancellation is synchronous in goro: where
// Go sleeps 100 ms "to let cancellation propagate", the port checks at once. Not ported:
// TestAllocs (Go's allocation counts), TestCancelRemoves' and the linkage checks (they read
// Go's internals), TestWithValueChecksKey and TestInvalidDerivedFail (Go's run-time type
// checks: C++ checks at compile time), TestCustomContextGoroutines.
#include <atomic>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
using conformance::recv_or_fail;
using conformance::wait_or_fail;
using ContextConformanceTest = goro_test::RuntimeTest;

bool done_now(const goro::context& c) {
  return goro::select(goro::recv(c.done()), goro::otherwise()) == 0;
}

// Go: TestBackground: never done.
TEST_P(ContextConformanceTest, Background) {
  auto c = goro::context::background();
  EXPECT_FALSE(done_now(c)) << "<-c.Done() should block";
  EXPECT_FALSE(c.err());
}

// Go: TestWithCancel.
TEST_P(ContextConformanceTest, WithCancel) {
  auto [c1, cancel] = goro::with_cancel(goro::context{});
  auto [c2, cancel2] = goro::with_cancel(c1);
  for (auto* c : {&c1, &c2}) {
    EXPECT_TRUE(static_cast<bool>(c->done().underlying())) << "Done() is nil";
    EXPECT_FALSE(c->err());
    EXPECT_FALSE(done_now(*c)) << "<-c.Done() should block";
  }
  cancel();
  for (auto* c : {&c1, &c2}) {
    EXPECT_TRUE(done_now(*c)) << "<-c.Done() blocked, but shouldn't have";
    EXPECT_EQ(c->err(), goro::context_error::canceled);
  }
  cancel2();
}

// Go: TestParentFinishesChild: cancelling the parent ends its cancel, value and timer
// children, and a value child made after the cancel is born done.
TEST_P(ContextConformanceTest, ParentFinishesChild) {
  static constexpr goro::context_key<std::string> key("key");
  auto [parent, cancel] = goro::with_cancel(goro::context{});
  auto [cancel_child, stop1] = goro::with_cancel(parent);
  auto value_child = goro::with_value(parent, key, "value");
  auto [timer_child, stop2] = goro::with_timeout(value_child, std::chrono::hours(10000));
  for (auto* c : {&parent, &cancel_child, &timer_child, &value_child})
    EXPECT_FALSE(done_now(*c)) << "should block";
  cancel();
  for (auto* c : {&parent, &cancel_child, &value_child, &timer_child}) {
    EXPECT_TRUE(done_now(*c)) << "blocked, but shouldn't have";
    EXPECT_EQ(c->err(), goro::context_error::canceled);
  }
  auto precanceled = goro::with_value(parent, key, "value");
  EXPECT_TRUE(done_now(precanceled));
  EXPECT_EQ(precanceled.err(), goro::context_error::canceled);
  stop1();
  stop2();
}

// Go: TestChildFinishesFirst: cancelling a child leaves its parent running.
TEST_P(ContextConformanceTest, ChildFinishesFirst) {
  auto [cancelable, stop] = goro::with_cancel(goro::context{});
  for (const auto& parent : {goro::context{}, cancelable}) {
    auto [child, cancel] = goro::with_cancel(parent);
    EXPECT_FALSE(done_now(parent));
    EXPECT_FALSE(done_now(child));
    cancel();
    EXPECT_TRUE(done_now(child)) << "child blocked, but shouldn't have";
    EXPECT_EQ(child.err(), goro::context_error::canceled);
    EXPECT_FALSE(done_now(parent)) << "parent should block";
    EXPECT_FALSE(parent.err());
  }
  stop();
}

void test_deadline(const goro::context& c, const char* name) {
  recv_or_fail(c.done(), name);  // Go fails after failAfter; here the bounded wait
  EXPECT_EQ(c.err(), goro::context_error::deadline_exceeded) << name;
}

// Go: TestDeadline.
TEST_P(ContextConformanceTest, Deadline) {
  const auto deadline = goro::now() + 50ms;
  auto [c, cancel] = goro::with_deadline(goro::context{}, deadline);
  test_deadline(c, "WithDeadline");
  EXPECT_GE(goro::now(), deadline) << "WithDeadline ended early";
  auto [c2, cancel2] = goro::with_deadline(goro::context{}, goro::now() + 50ms);
  auto [c3, cancel3] = goro::with_deadline(c2, goro::now() + 4s);
  test_deadline(c3, "WithDeadline+WithDeadline");
  auto [c4, cancel4] = goro::with_deadline(goro::context{}, goro::now() - 1ms);
  test_deadline(c4, "WithDeadline+inthepast");
  auto [c5, cancel5] = goro::with_deadline(goro::context{}, goro::now());
  test_deadline(c5, "WithDeadline+now");
  for (auto* f : {&cancel, &cancel2, &cancel3, &cancel4, &cancel5}) (*f)();
}

// Go: TestTimeout. Never early: the context is not done before its timeout.
TEST_P(ContextConformanceTest, Timeout) {
  auto start = goro::now();
  auto [c, cancel] = goro::with_timeout(goro::context{}, 50ms);
  test_deadline(c, "WithTimeout");
  EXPECT_GE(goro::now() - start, 50ms) << "WithTimeout ended early";
  auto [c2, cancel2] = goro::with_timeout(goro::context{}, 50ms);
  auto [c3, cancel3] = goro::with_timeout(c2, 3s);
  test_deadline(c3, "WithTimeout+WithTimeout");
  cancel();
  cancel2();
  cancel3();
}

// Go: TestCanceledTimeout: cancelling a timeout context ends it with canceled.
TEST_P(ContextConformanceTest, CanceledTimeout) {
  auto [c0, cancel0] = goro::with_timeout(goro::context{}, 1s);
  auto [c, cancel] = goro::with_timeout(c0, 2s);
  cancel();
  EXPECT_TRUE(done_now(c)) << "<-c.Done() blocked, but shouldn't have";
  EXPECT_EQ(c.err(), goro::context_error::canceled);
  cancel0();
}

// Go: TestValues: the nearest ancestor carrying a key gives its value; keys of one type
// are distinct objects.
TEST_P(ContextConformanceTest, Values) {
  using opt = std::optional<std::string>;
  static constexpr goro::context_key<opt> k1("k1"), k2("k2"), k3("k3");
  auto check = [](const goro::context& c, const char* nm, const char* v1, const char* v2,
                  const char* v3) {
    const goro::context_key<opt>* keys[] = {&k1, &k2, &k3};
    const char* want[] = {v1, v2, v3};
    for (int i = 0; i < 3; ++i) {
      const opt* v = c.value(*keys[i]);
      std::string got = v && *v ? **v : "";
      EXPECT_EQ(got, want[i]) << nm << ".value(k" << i + 1 << ")";
    }
  };
  goro::context c0;
  check(c0, "c0", "", "", "");
  auto c1 = goro::with_value(goro::context{}, k1, opt("c1k1"));
  check(c1, "c1", "c1k1", "", "");
  auto c2 = goro::with_value(c1, k2, opt("c2k2"));
  check(c2, "c2", "c1k1", "c2k2", "");
  auto c3 = goro::with_value(c2, k3, opt("c3k3"));
  check(c3, "c3", "c1k1", "c2k2", "c3k3");
  auto c4 = goro::with_value(c3, k1, opt());  // Go: WithValue(c3, k1, nil)
  check(c4, "c4", "", "c2k2", "c3k3");
  EXPECT_NE(c4.value(k1), nullptr) << "k1 is carried, with an empty value";
}

// Go: TestSimultaneousCancels: a tree of 100 contexts cancelled in a random order from as
// many fibers: every one ends and every cancel returns.
TEST_P(ContextConformanceTest, SimultaneousCancels) {
  std::vector<std::pair<goro::context, goro::cancel_func>> m;
  m.push_back(goro::with_cancel(goro::context{}));
  for (std::size_t q = 0; q < m.size() && m.size() < 100; ++q)
    for (int i = 0; i < 4; ++i) m.push_back(goro::with_cancel(m[q].first));
  std::mt19937_64 rng(goro_test::seed());
  std::shuffle(m.begin(), m.end(), rng);
  conformance::fiber_group fibers;
  for (auto& entry : m) fibers.go([cancel = entry.second] { cancel(); });
  std::shuffle(m.begin(), m.end(), rng);
  for (auto& [ctx, cancel] : m) recv_or_fail(ctx.done(), "waiting for <-ctx.Done()");
  fibers.wait();  // all the cancel functions returned
}

// Go: TestInterlockedCancels: a child cancelled from a fiber that runs while its parent is
// being cancelled still ends.
TEST_P(ContextConformanceTest, InterlockedCancels) {
  auto [parent, cancel_parent] = goro::with_cancel(goro::context{});
  auto [child, cancel_child] = goro::with_cancel(parent);
  conformance::fiber_group fibers;
  fibers.go([parent = parent, cancel_child = cancel_child] {
    parent.done();
    cancel_child();
  });
  cancel_parent();
  recv_or_fail(child.done(), "child.Done()");
  fibers.wait();
}

// Go: testLayers: at least 30 layers of value, cancel and timeout contexts; values stay
// visible through them; cancelling any layer (or its timeout passing) ends the innermost.
void test_layers(std::uint64_t seed, bool test_timeout) {
  SCOPED_TRACE(::testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  constexpr auto timeout = 200ms;
  constexpr int min_layers = 30;
  struct value_key {
    goro::context_key<int> key{"layer"};
  };
  std::vector<std::unique_ptr<value_key>> vals;
  std::vector<goro::cancel_func> cancels;
  int num_timers = 0;
  goro::context ctx;
  for (int i = 0; i < min_layers || num_timers == 0 || cancels.empty() || vals.empty(); ++i) {
    switch (rng() % 3) {
      case 0:
        vals.push_back(std::make_unique<value_key>());
        ctx = goro::with_value(ctx, vals.back()->key, static_cast<int>(vals.size()));
        break;
      case 1: {
        auto [c, cancel] = goro::with_cancel(ctx);
        ctx = c;
        cancels.push_back(cancel);
        break;
      }
      case 2: {
        auto [c, cancel] = goro::with_timeout(ctx, timeout);
        ctx = c;
        cancels.push_back(cancel);
        ++num_timers;
        break;
      }
    }
  }
  auto check_values = [&](const char* when) {
    for (std::size_t i = 0; i < vals.size(); ++i) {
      const int* v = ctx.value(vals[i]->key);
      EXPECT_TRUE(v && *v == static_cast<int>(i + 1)) << when << ": value " << i;
    }
  };
  EXPECT_FALSE(done_now(ctx)) << "ctx should not be canceled yet";
  check_values("before cancel");
  if (test_timeout) {
    recv_or_fail(ctx.done(), "ctx should have timed out");
    check_values("after timeout");
  } else {
    cancels[rng() % cancels.size()]();
    EXPECT_TRUE(done_now(ctx)) << "ctx should be canceled";
    check_values("after cancel");
  }
  for (auto& c : cancels) c();
}

// Go: TestLayersCancel.
TEST_P(ContextConformanceTest, LayersCancel) { test_layers(goro_test::seed(), false); }

// Go: TestLayersTimeout.
TEST_P(ContextConformanceTest, LayersTimeout) { test_layers(goro_test::seed(), true); }

// Go: TestWithCancelCanceledParent: a child of a cancelled parent is born done, with the
// parent's error and cause.
TEST_P(ContextConformanceTest, WithCancelCanceledParent) {
  auto [parent, pcancel] = goro::with_cancel(goro::context{});
  pcancel("parent cause");
  auto [c, cancel] = goro::with_cancel(parent);
  EXPECT_TRUE(recv_or_fail(c.done(), "child of canceled parent") == std::nullopt);
  EXPECT_EQ(c.err(), goro::context_error::canceled);
  EXPECT_EQ(c.cause(), "parent cause");
  cancel();
}

// Go: TestCause (the cases goro's API has: a cancel with a cause, a parent's cause
// inherited, a deadline's cause, the first cancel winning).
TEST_P(ContextConformanceTest, Cause) {
  {
    auto [c, cancel] = goro::with_cancel(goro::context{});
    EXPECT_EQ(c.cause(), "");
    cancel();
    EXPECT_EQ(c.cause(), "context canceled");
  }
  {
    auto [parent, pcancel] = goro::with_cancel(goro::context{});
    auto [child, ccancel] = goro::with_cancel(parent);
    pcancel("parent cause");
    ccancel("child cause");  // too late: the first cancel wins
    EXPECT_EQ(child.cause(), "parent cause");
    EXPECT_EQ(child.err(), goro::context_error::canceled);
  }
  {
    auto [c, cancel] = goro::with_timeout(goro::context{}, 0ns);
    recv_or_fail(c.done(), "zero timeout");
    EXPECT_EQ(c.err(), goro::context_error::deadline_exceeded);
    EXPECT_EQ(c.cause(), "context deadline exceeded");
    cancel("later");
    EXPECT_EQ(c.cause(), "context deadline exceeded");
  }
}

// Go: TestCauseRace: cancel and cause() race; cause() gives either nothing or the cause.
TEST_P(ContextConformanceTest, CauseRace) {
  auto [ctx, cancel] = goro::with_cancel(goro::context{});
  conformance::fiber_group fibers;
  fibers.go([cancel = cancel] { cancel("cause"); });
  for (;;) {
    auto cause = ctx.cause();
    if (!cause.empty()) {
      EXPECT_EQ(cause, "cause");
      break;
    }
    goro::this_fiber::yield();
  }
  fibers.wait();
}

// Go's WithTimeout contract for durations that overflow (context.go's deadline handling):
// a timeout of the largest duration never ends the context.
TEST_P(ContextConformanceTest, HugeTimeoutNeverEnds) {
  auto [c, cancel] = goro::with_timeout(goro::context{}, std::chrono::nanoseconds::max());
  EXPECT_FALSE(done_now(c)) << "with_timeout(max) is already done";
  EXPECT_FALSE(c.err());
  cancel();
}

GORO_INSTANTIATE(ContextConformanceTest, 1, 2, 4);

}  // namespace
