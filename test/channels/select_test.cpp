#include <atomic>
#include <chrono>
#include <thread>

#include <goro/select.hpp>
#include <goro/time.hpp>

#include "fiber.hpp"
#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
using SelectTest = goro_test::RuntimeTest;

TEST_P(SelectTest, DefaultRunsWhenNothingIsReady) {
  goro::chan<int> a(0), b(1);
  bool fell_through = false;
  int r = goro::select(goro::recv(a), goro::recv(b), goro::otherwise([&] { fell_through = true; }));
  EXPECT_EQ(r, 2);
  EXPECT_TRUE(fell_through);
}

TEST_P(SelectTest, ReadyRecvRunsItsHandlerWithTheValue) {
  goro::chan<int> a(1), b(1);
  b.send(7);
  int got = 0;
  int r = goro::select(goro::recv(a, [&](auto) { got = -1; }),
                       goro::recv(b, [&](std::optional<int> v) { got = *v; }));
  EXPECT_EQ(r, 1);
  EXPECT_EQ(got, 7);
}

TEST_P(SelectTest, SendCaseDeliversToABlockedReceiver) {
  goro::chan<int> c(0);
  auto h = goro::spawn([c] { return c.recv(); });
  bool sent = false;
  goro::select(goro::send(c, 11, [&] { sent = true; }));
  EXPECT_TRUE(sent);
  EXPECT_EQ(h.join(), 11);
}

TEST_P(SelectTest, BlockedSelectIsWokenByALaterSender) {
  goro::chan<int> a(0), b(0);
  auto h = goro::spawn([&] {
    int which = -1, v = 0;
    goro::select(goro::recv(a, [&](auto x) { which = 0, v = *x; }),
                 goro::recv(b, [&](auto x) { which = 1, v = *x; }));
    return which * 100 + v;
  });
  b.send(5);  // from the test thread: a plain thread wakes a parked select
  EXPECT_EQ(h.join(), 105);
}

TEST_P(SelectTest, TimeoutFiresWhenNothingArrives) {
  goro::chan<int> a(0);
  auto h = goro::spawn([a] {
    bool timed_out = false;
    auto start = std::chrono::steady_clock::now();
    int r = goro::select(goro::recv(a), goro::timeout(5ms, [&] { timed_out = true; }));
    return std::pair{r, timed_out && std::chrono::steady_clock::now() - start >= 5ms};
  });
  auto [r, ok] = h.join();
  EXPECT_EQ(r, 1);
  EXPECT_TRUE(ok);
}

TEST_P(SelectTest, TimeoutFromAPlainThread) {
  goro::chan<int> a(0);
  int r = goro::select(goro::recv(a), goro::timeout(2ms));
  EXPECT_EQ(r, 1);
}

TEST_P(SelectTest, TimersOfSelectsThatWonAreRemoved) {
  // 10^4 selects that win before a one-hour timeout: none may stay on a timer heap (the
  // runtime would then hold a timer pointing into a dead stack frame).
  goro::chan<int> c(1);
  const int n = static_cast<int>(goro_test::scaled(10'000));
  auto h = goro::spawn([c, n] {
    int wins = 0;
    for (int i = 0; i < n; ++i) {
      c.send(i);
      wins += goro::select(goro::recv(c), goro::timeout(1h)) == 0;
    }
    return wins;
  });
  EXPECT_EQ(h.join(), n);
}

TEST_P(SelectTest, ClosedChannelIsReadyWithEmpty) {
  goro::chan<int> c(0);
  c.close();
  bool closed = false;
  goro::select(goro::recv(c, [&](auto v) { closed = !v; }), goro::timeout(1h));
  EXPECT_TRUE(closed);
  EXPECT_THROW(goro::select(goro::send(c, 1)), goro::closed_channel_error);
}

// A case made from a temporary channel owns it: the case may be kept and selected later
// (it used to hold a raw pointer to a channel freed at the end of its full expression:
// ASan reported the select's lock of it as a heap use after free).
TEST_P(SelectTest, ACaseOwnsATemporaryChannel) {
  auto filled = [](int v) {
    goro::chan<int> c(1);
    c.send(v);
    return c;
  };
  int got = 0;
  auto r = goro::recv(filled(41), [&](std::optional<int> v) { got = v.value_or(-1); });
  auto s = goro::send(goro::chan<int>(1), 5);  // room for it: ready at once
  EXPECT_EQ(goro::select(r), 0);
  EXPECT_EQ(got, 41);
  EXPECT_EQ(goro::select(s), 0);
  auto t = goro::recv(goro::after(1ms));  // Go's case <-time.After(d), kept in a variable
  EXPECT_EQ(goro::select(t), 0);
}

// The result says which channel case ran among the channel cases alone, or that the
// timeout or the default did: per-channel arrays need no mapping from positions.
TEST_P(SelectTest, TheResultIndexesTheChannelCases) {
  goro::chan<int> cs[3] = {goro::chan<int>(1), goro::chan<int>(1), goro::chan<int>(1)};
  cs[2].send(9);
  auto r = goro::select(goro::timeout(1h), goro::recv(cs[0]), goro::recv(cs[1]), goro::recv(cs[2]));
  EXPECT_EQ(r.position, 3);
  EXPECT_EQ(r, 3);  // as the int it converts to
  EXPECT_EQ(r.channel, 2);
  EXPECT_FALSE(r.timed_out());
  EXPECT_FALSE(r.defaulted());
  auto d = goro::select(goro::recv(cs[0]), goro::otherwise(), goro::send(cs[1], 4));
  EXPECT_EQ(d.channel, 1) << "the send case, second among the channel cases";
  EXPECT_EQ(d.position, 2);
  auto e = goro::select(goro::recv(cs[0]), goro::otherwise());
  EXPECT_TRUE(e.defaulted());
  EXPECT_EQ(e.channel, -1);
  EXPECT_EQ(e.position, 1);
  goro::chan<int> nil;
  auto t = goro::select(goro::recv(nil), goro::timeout(1ms));
  EXPECT_TRUE(t.timed_out());
  EXPECT_EQ(t.channel, -1);
  EXPECT_EQ(t.position, 1);
}

// The caller's stack where a select's waiters go, filled with a pattern first: a select
// that reads a waiter it never constructed sees the pattern, not a lucky zero.
[[gnu::noinline]] void fill_stack_below() {
  volatile unsigned char junk[16 * 1024];
  for (auto& b : junk) b = 0xa5;
}
[[gnu::noinline]] goro::selected select_a_deadline_alone() {
  return goro::select(goro::timeout(1ms));
}

// A select of a deadline alone waits for it, on a fiber and on a plain thread (its one
// waiter is the select's word and fiber even with no channel case).
TEST_P(SelectTest, ADeadlineAloneTimesOut) {
  fill_stack_below();
  EXPECT_TRUE(select_a_deadline_alone().timed_out());
  auto h = goro::spawn([] {
    fill_stack_below();
    return select_a_deadline_alone().timed_out();
  });
  EXPECT_TRUE(h.join());
}

TEST_P(SelectTest, NilChannelCaseIsNeverReady) {
  goro::chan<int> nil;
  goro::chan<int> ready(1);
  for (int i = 0; i < 100; ++i) {
    ready.send(1);
    EXPECT_EQ(goro::select(goro::recv(nil), goro::recv(ready)), 1);
  }
}

// Uniform choice among ready cases: chi-square over 4 always-ready cases, df = 3.
// Fails above 44.84 (p = 1e-9): a 26%/25%/25%/24% bias already gives about 53.
TEST_P(SelectTest, FairnessChiSquare) {
  goro::chan<int> cs[4] = {goro::chan<int>(1), goro::chan<int>(1), goro::chan<int>(1),
                           goro::chan<int>(1)};
  for (auto& c : cs) c.send(0);
  const int trials = static_cast<int>(goro_test::scaled(100'000));
  long hits[4] = {};
  for (int t = 0; t < trials; ++t) {
    int r =
        goro::select(goro::recv(cs[0]), goro::recv(cs[1]), goro::recv(cs[2]), goro::recv(cs[3]));
    ++hits[r];
    cs[r].send(0);
  }
  double expected = trials / 4.0, chi2 = 0;
  for (long h : hits) chi2 += (h - expected) * (h - expected) / expected;
  EXPECT_LT(chi2, 44.84) << hits[0] << " " << hits[1] << " " << hits[2] << " " << hits[3];
}

// Go's TestSelfSelect: two fibers each select over a send and a receive on one channel;
// they must pair up, never hand a value to themselves.
TEST_P(SelectTest, SelfSelectPairsDistinctFibers) {
  for (int cap : {0, 10}) {
    goro::chan<int> c(cap);
    const int rounds = static_cast<int>(goro_test::scaled(1000));
    std::atomic<int> bad{0};
    goro::wait_group wg;
    wg.add(2);
    for (int p = 0; p < 2; ++p) {
      goro::go([&, p] {
        for (int i = 0; i < rounds; ++i) {
          if (p == 0 || i % 2 == 0) {
            goro::select(goro::send(c, p), goro::recv(c, [&](std::optional<int> v) {
                           if (cap == 0 && v && *v == p) bad.fetch_add(1);
                         }));
          } else {
            goro::select(goro::recv(c,
                                    [&](std::optional<int> v) {
                                      if (cap == 0 && v && *v == p) bad.fetch_add(1);
                                    }),
                         goro::send(c, p));
          }
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(bad.load(), 0);
  }
}

TEST_P(SelectTest, DuplicateChannelInOneSelect) {
  goro::chan<int> c(0);
  auto h = goro::spawn([c] {
    int r = goro::select(goro::recv(c), goro::recv(c), goro::recv(c));
    return r;
  });
  c.send(1);
  int r = h.join();
  EXPECT_TRUE(r >= 0 && r < 3);
}

// Go's TestNonblockSelectRace: when a case is ready, default never runs.
TEST_P(SelectTest, DefaultNeverRunsWhileACaseIsReady) {
  const int n = static_cast<int>(goro_test::scaled(10'000));
  int defaults = 0;
  for (int i = 0; i < n; ++i) {
    goro::chan<int> c1(1), c2(1);
    c1.send(1);
    auto h = goro::spawn(
        [&] { return goro::select(goro::recv(c1), goro::recv(c2), goro::otherwise()); });
    c2.send(1);
    if (h.join() == 2) ++defaults;
  }
  EXPECT_EQ(defaults, 0);
}

// Parked fibers, counted through the runtime's fiber walk (atomic fields only).
int parked_fibers() {
  int n = 0;
  goro::detail::for_each_fiber(
      [](goro::detail::fiber* f, void* arg) {
        if (f->state.load() == goro::detail::fiber_state::parked) ++*static_cast<int*>(arg);
      },
      &n);
  return n;
}

// Close while selects wait on the channel: receive cases get "closed" (empty), send cases
// throw, from fibers (all parked before the close) and from a plain thread.
TEST_P(SelectTest, CloseWakesSelectsBlockedOnIt) {
  goro::chan<int> to_recv(0), to_send(0), never(0);
  constexpr int n = 8;
  std::atomic<int> got_closed{0}, send_threw{0};
  goro::wait_group wg;
  wg.add(2 * n);
  for (int i = 0; i < n; ++i) {
    goro::go([&] {
      goro::select(goro::recv(never), goro::recv(to_recv, [&](std::optional<int> v) {
                     if (!v) got_closed.fetch_add(1);
                   }));
      wg.done();
    });
    goro::go([&, i] {
      try {
        goro::select(goro::recv(never), goro::send(to_send, i));
      } catch (const goro::closed_channel_error&) {
        send_threw.fetch_add(1);
      }
      wg.done();
    });
  }
  std::thread t([&] {
    goro::select(goro::recv(never), goro::recv(to_recv, [&](std::optional<int> v) {
                   if (!v) got_closed.fetch_add(1);
                 }));
  });
  while (parked_fibers() < 2 * n) std::this_thread::yield();  // every fiber in its select
  to_recv.close();
  to_send.close();
  wg.wait();
  t.join();
  EXPECT_EQ(got_closed.load(), n + 1);
  EXPECT_EQ(send_threw.load(), n);
}

GORO_INSTANTIATE(SelectTest, 1, 2, 4);

}  // namespace
