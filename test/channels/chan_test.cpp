#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <goro/chan.hpp>

#include "goro_test.hpp"

namespace {

using ChanTest = goro_test::RuntimeTest;

TEST_P(ChanTest, UnbufferedHandsAValueFromFiberToFiber) {
  goro::chan<int> c(0);
  auto h = goro::spawn([c] { c.send(42); });
  auto r = goro::spawn([c] { return c.recv(); });
  EXPECT_EQ(r.join(), 42);
  h.join();
}

TEST_P(ChanTest, RecvDrainsBufferAfterCloseThenReturnsEmpty) {
  goro::chan<int> ch(2);
  ch.send(1);
  ch.send(2);
  ch.close();
  EXPECT_EQ(ch.recv(), 1);
  EXPECT_EQ(ch.recv(), 2);
  EXPECT_EQ(ch.recv(), std::nullopt);
  EXPECT_EQ(ch.recv(), std::nullopt);
}

TEST_P(ChanTest, BufferedIsFifoAndReportsSizeAndCapacity) {
  goro::chan<std::string> c(3);
  EXPECT_EQ(c.capacity(), 3u);
  c.send("a");
  c.send("b");
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(*c.recv(), "a");
  c.send("c");
  c.send("d");
  EXPECT_EQ(*c.recv(), "b");
  EXPECT_EQ(*c.recv(), "c");
  EXPECT_EQ(*c.recv(), "d");
  EXPECT_EQ(c.size(), 0u);
}

TEST_P(ChanTest, MoveOnlyValues) {
  goro::chan<std::unique_ptr<int>> c(1);
  auto h = goro::spawn([c] {
    for (int i = 0; i < 100; ++i) c.send(std::make_unique<int>(i));
    c.close();
  });
  int expected = 0;
  for (auto& p : c) EXPECT_EQ(*p, expected++);
  EXPECT_EQ(expected, 100);
  h.join();
}

TEST_P(ChanTest, MisuseThrowsNamedErrors) {
  goro::chan<int> c(1);
  c.close();
  EXPECT_THROW(c.send(1), goro::closed_channel_error);
  EXPECT_THROW(c.close(), goro::closed_channel_error);
  goro::chan<int> nil;
  EXPECT_THROW(nil.close(), goro::closed_channel_error);
  int v = 3;
  EXPECT_THROW(c.try_send(v), goro::closed_channel_error);
}

TEST_P(ChanTest, TryOperationsNeverBlock) {
  goro::chan<int> c(1);
  EXPECT_EQ(c.try_recv(), std::nullopt);
  int v = 5;
  EXPECT_TRUE(c.try_send(v));
  int w = 6;
  EXPECT_FALSE(c.try_send(w));
  EXPECT_EQ(w, 6) << "a failed try_send leaves the value";
  EXPECT_EQ(c.try_recv(), 5);
  goro::chan<int> nil;
  EXPECT_FALSE(nil.try_send(w));
  EXPECT_EQ(nil.try_recv(), std::nullopt);
}

// try_recv says which of Go's three outcomes it met: `v, ok := <-c` with ok (a value), with
// !ok (closed and drained), or the select's default (nothing ready yet).
TEST_P(ChanTest, TryRecvTellsNotReadyFromClosed) {
  goro::chan<int> c(2);
  auto none = c.try_recv();
  EXPECT_TRUE(none.not_ready());
  EXPECT_FALSE(none.closed());
  EXPECT_FALSE(none);
  int v = 7;
  ASSERT_TRUE(c.try_send(v));
  c.close();
  auto got = c.try_recv();  // closed, not drained: the value first
  EXPECT_EQ(got.state(), goro::recv_state::received);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 7);
  auto end = c.try_recv();
  EXPECT_EQ(end.state(), goro::recv_state::closed);
  EXPECT_TRUE(end.closed());
  EXPECT_FALSE(end.has_value());
  EXPECT_EQ(std::move(end).value_or(-1), -1);
  goro::chan<int> nil;  // never ready, never closed
  EXPECT_TRUE(nil.try_recv().not_ready());
  goro::chan<std::unique_ptr<int>> owned(1);  // a move-only value comes out whole
  ASSERT_TRUE(owned.try_send(std::make_unique<int>(3)));
  auto p = owned.try_recv();
  ASSERT_TRUE(p);
  EXPECT_EQ(**std::move(p).take(), 3);
}

// Every blocked receiver gets empty, every blocked sender gets closed_channel_error.
TEST_P(ChanTest, CloseWakesEveryBlockedSenderAndReceiver) {
  goro::chan<int> full(0), empty(0);
  const int n = 20;
  std::atomic<int> got_empty{0}, got_closed{0};
  std::vector<goro::join_handle<void>> hs;
  for (int i = 0; i < n; ++i) {
    hs.push_back(goro::spawn([&] {
      if (!empty.recv()) got_empty.fetch_add(1);
    }));
    hs.push_back(goro::spawn([&] {
      try {
        full.send(1);
      } catch (const goro::closed_channel_error&) {
        got_closed.fetch_add(1);
      }
    }));
  }
  // Wait (by yielding, not sleeping) until all 2n have parked: each parks exactly once.
  auto parks = [] {
    std::uint64_t total = 0;
    for (auto& p : goro::stats().processors) total += p.parks;
    return total;
  };
  while (parks() < 2 * n) std::this_thread::yield();
  empty.close();
  full.close();
  for (auto& h : hs) h.join();
  EXPECT_EQ(got_empty.load(), n);
  EXPECT_EQ(got_closed.load(), n);
}

TEST_P(ChanTest, FibersAndThreadsShareAChannel) {
  goro::chan<int> c(4);
  const int per = static_cast<int>(goro_test::scaled(20'000));
  std::thread t1([&] {
    for (int i = 0; i < per; ++i) c.send(1);
  });
  auto f1 = goro::spawn([&] {
    for (int i = 0; i < per; ++i) c.send(2);
  });
  std::atomic<long> sum{0};
  std::thread r1([&] {
    for (int i = 0; i < per; ++i) sum += *c.recv();
  });
  auto r2 = goro::spawn([&] {
    for (int i = 0; i < per; ++i) sum += *c.recv();
  });
  t1.join();
  f1.join();
  r1.join();
  r2.join();
  EXPECT_EQ(sum.load(), 3L * per);
}

// Go's TestMultiConsumer: many workers, every item received exactly once.
TEST_P(ChanTest, MultiConsumerReceivesEveryItemOnce) {
  const int items = static_cast<int>(goro_test::scaled(271'828));
  const int workers = 23;
  goro::chan<int> q(7);
  goro::chan<long> results(0);
  std::vector<goro::join_handle<void>> hs;
  for (int w = 0; w < workers; ++w) {
    hs.push_back(goro::spawn([q, results] {
      long s = 0;
      for (int v : q) s += v;
      results.send(s);
    }));
  }
  hs.push_back(goro::spawn([q, items] {
    for (int i = 1; i <= items; ++i) q.send(i);
    q.close();
  }));
  long total = 0;
  for (int w = 0; w < workers; ++w) total += *results.recv();
  for (auto& h : hs) h.join();
  EXPECT_EQ(total, long{items} * (items + 1) / 2);
}

TEST_P(ChanTest, DirectionalViews) {
  goro::chan<int> c(1);
  goro::send_chan<int> out = c;
  goro::recv_chan<int> in = c;
  out.send(9);
  EXPECT_EQ(in.recv(), 9);
  out.close();
  EXPECT_EQ(in.recv(), std::nullopt);
}

GORO_INSTANTIATE(ChanTest, 1, 2, 4);

}  // namespace
