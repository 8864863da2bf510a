// Go's runtime/chan_test.go, ported onto goro's API. Each test names the Go test it ports.
// Where Go sleeps to let a goroutine block, the port waits until that fiber is parked with
// the expected wait reason (conformance::wait_parked); every wait is bounded and fails with
// a fiber dump. Sizes are Go's -short sizes, scaled by goro_test::scaled().
// Not ported: the benchmarks; TestShrinkStackDuringBlockedSend's runtime.GC() (goro stacks
// do not move or shrink: the port keeps the deep stack use between blocked sends).
// Go's zero value from a closed channel is goro's empty optional, and `v, ok := <-c` is
// `c.recv()` with ok = has_value().
#include <any>
#include <array>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using conformance::recv_or_fail;
using conformance::wait_or_fail;
using conformance::wait_parked;
using ChanConformanceTest = goro_test::RuntimeTest;

// Go: TestChan, for each capacity 0..N.
TEST_P(ChanConformanceTest, Chan) {
  conformance::fiber_group fibers;
  const int n = static_cast<int>(std::max<std::int64_t>(goro_test::scaled(20), 3));
  for (int cap = 0; cap < n; ++cap) {
    SCOPED_TRACE(::testing::Message() << "chan[" << cap << "]");
    {
      // Ensure that receive from empty chan blocks.
      goro::chan<int> c(cap);
      std::atomic<bool> recv1{false}, recv2{false};
      auto h1 = goro::spawn([&, c] {
        c.recv();
        recv1 = true;
      });
      auto h2 = goro::spawn([&, c] {
        EXPECT_TRUE(c.recv().has_value());
        recv2 = true;
      });
      ASSERT_TRUE(wait_parked(2, "chan receive"));
      EXPECT_FALSE(recv1 || recv2) << "receive from empty chan";
      // Ensure that non-blocking receive does not block.
      EXPECT_EQ(goro::select(goro::recv(c), goro::otherwise()), 1) << "receive from empty chan";
      EXPECT_EQ(c.try_recv(), std::nullopt);
      c.send(0);
      c.send(0);
      h1.join();
      h2.join();
    }
    {
      // Ensure that send to full chan blocks.
      goro::chan<int> c(cap);
      for (int i = 0; i < cap; ++i) c.send(i);
      std::atomic<bool> sent{false};
      auto h = goro::spawn([&, c] {
        c.send(0);
        sent = true;
      });
      ASSERT_TRUE(wait_parked(1, "chan send"));
      EXPECT_FALSE(sent) << "send to full chan";
      // Ensure that non-blocking send does not block.
      EXPECT_EQ(goro::select(goro::send(c, 0), goro::otherwise()), 1) << "send to full chan";
      c.recv();
      h.join();
    }
    {
      // Ensure that we receive 0 from closed chan.
      goro::chan<int> c(cap);
      for (int i = 0; i < cap; ++i) c.send(i);
      c.close();
      for (int i = 0; i < cap; ++i) EXPECT_EQ(c.recv(), i);
      EXPECT_EQ(c.recv(), std::nullopt);
      EXPECT_EQ(c.recv(), std::nullopt);
    }
    {
      // Ensure that close unblocks receive.
      goro::chan<int> c(cap);
      goro::chan<bool> done(0);
      fibers.go([c, done] { done.send(!c.recv().has_value()); });
      ASSERT_TRUE(wait_parked(1, "chan receive"));
      c.close();
      EXPECT_EQ(recv_or_fail(done, "receiver woken by close"), true)
          << "received non zero from closed chan";
    }
    {
      // Send 100 integers, ensure that we receive them non-corrupted in FIFO order.
      goro::chan<int> c(cap);
      fibers.go([c] {
        for (int i = 0; i < 100; ++i) c.send(i);
      });
      for (int i = 0; i < 100; ++i) EXPECT_EQ(c.recv(), i);
      // Same, but using recv2 (v, ok).
      fibers.go([c] {
        for (int i = 0; i < 100; ++i) c.send(i);
      });
      for (int i = 0; i < 100; ++i) {
        auto v = c.recv();
        ASSERT_TRUE(v.has_value()) << "receive failed, expected " << i;
        EXPECT_EQ(*v, i);
      }
      // Send 1000 integers in 4 fibers, ensure that we receive what we send.
      constexpr int p = 4;
      const int l = static_cast<int>(goro_test::scaled(1000));
      for (int k = 0; k < p; ++k)
        fibers.go([c, l] {
          for (int i = 0; i < l; ++i) c.send(i);
        });
      goro::chan<std::map<int, int>> done(0);
      for (int k = 0; k < p; ++k)
        fibers.go([c, done, l] {
          std::map<int, int> recv;
          for (int i = 0; i < l; ++i) ++recv[*c.recv()];
          done.send(std::move(recv));
        });
      std::map<int, int> recv;
      for (int k = 0; k < p; ++k)
        for (auto [v, count] : recv_or_fail(done, "receivers' maps").value_or(std::map<int, int>{}))
          recv[v] += count;
      EXPECT_EQ(static_cast<int>(recv.size()), l);
      for (auto [v, count] : recv) EXPECT_EQ(count, p) << "value " << v;
    }
    {
      // Test len/cap.
      goro::chan<int> c(cap);
      EXPECT_EQ(c.size(), 0u);
      EXPECT_EQ(c.capacity(), static_cast<std::size_t>(cap));
      for (int i = 0; i < cap; ++i) c.send(i);
      EXPECT_EQ(c.size(), static_cast<std::size_t>(cap));
      EXPECT_EQ(c.capacity(), static_cast<std::size_t>(cap));
    }
  }
  fibers.wait();
}

// Go: TestNonblockRecvRace. A buffered value is ready: the select's default never runs,
// even while the channel is being closed.
TEST_P(ChanConformanceTest, NonblockRecvRace) {
  conformance::fiber_group fibers;
  const int n = static_cast<int>(goro_test::scaled(2000));
  std::atomic<int> not_ready{0};
  goro::wait_group wg;
  for (int i = 0; i < n; ++i) {
    goro::chan<int> c(1);
    c.send(1);
    wg.add(1);
    fibers.go([&, c] {
      if (goro::select(goro::recv(c), goro::otherwise()) == 1) not_ready.fetch_add(1);
      wg.done();
    });
    c.close();
    c.recv();
  }
  wait_or_fail(wg, "selecting fibers");
  EXPECT_EQ(not_ready.load(), 0) << "chan is not ready";
  fibers.wait();
}

// Go: TestNonblockSelectRace. From the time the fiber is created, c1 or c2 is ready: the
// select acts on one moment's state and never runs its default.
TEST_P(ChanConformanceTest, NonblockSelectRace) {
  conformance::fiber_group fibers;
  const int n = static_cast<int>(goro_test::scaled(10'000));
  goro::chan<bool> done(1);
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    goro::chan<int> c1(1), c2(1);
    c1.send(1);
    fibers.go([c1, c2, done] {
      done.send(goro::select(goro::recv(c1), goro::recv(c2), goro::otherwise()) != 2);
    });
    c2.send(1);
    goro::select(goro::recv(c1), goro::otherwise());
    if (!recv_or_fail(done, "selecting fiber").value_or(false)) ++failures;
  }
  EXPECT_EQ(failures, 0) << "no chan is ready";
  fibers.wait();
}

// Go: TestNonblockSelectRace2: the same, with close(c2) in place of c2 <- 1.
TEST_P(ChanConformanceTest, NonblockSelectRace2) {
  conformance::fiber_group fibers;
  const int n = static_cast<int>(goro_test::scaled(10'000));
  goro::chan<bool> done(1);
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    goro::chan<int> c1(1), c2(0);
    c1.send(1);
    fibers.go([c1, c2, done] {
      done.send(goro::select(goro::recv(c1), goro::recv(c2), goro::otherwise()) != 2);
    });
    c2.close();
    goro::select(goro::recv(c1), goro::otherwise());
    if (!recv_or_fail(done, "selecting fiber").value_or(false)) ++failures;
  }
  EXPECT_EQ(failures, 0) << "no chan is ready";
  fibers.wait();
}

// Go: TestSelfSelect. Send and receive on one channel in a select: no crash, no deadlock,
// and (unbuffered) never a value received from oneself.
TEST_P(ChanConformanceTest, SelfSelect) {
  conformance::fiber_group fibers;
  for (int cap : {0, 10}) {
    goro::chan<int> c(cap);
    std::atomic<int> self_receives{0};
    goro::wait_group wg;
    wg.add(2);
    for (int p = 0; p < 2; ++p) {
      fibers.go([&, c, p, cap] {
        auto check = [&](std::optional<int> v) {
          if (cap == 0 && v == p) self_receives.fetch_add(1);
        };
        for (int i = 0; i < 1000; ++i) {
          if (p == 0 || i % 2 == 0)
            goro::select(goro::send(c, p), goro::recv(c, check));
          else
            goro::select(goro::recv(c, check), goro::send(c, p));
        }
        wg.done();
      });
    }
    wait_or_fail(wg, "self-selecting fibers");
    EXPECT_EQ(self_receives.load(), 0) << "self receive, cap " << cap;
  }
  fibers.wait();
}

// Go: TestSelectStress. Senders, receivers, a sending select and a receiving select over
// four channels interact chaotically; the construct must not deadlock, and a channel whose
// count is done becomes nil in the selects.
TEST_P(ChanConformanceTest, SelectStress) {
  conformance::fiber_group fibers;
  std::array<goro::chan<int>, 4> c = {goro::chan<int>(0), goro::chan<int>(0), goro::chan<int>(2),
                                      goro::chan<int>(3)};
  const int n = static_cast<int>(goro_test::scaled(10'000));
  goro::wait_group wg;
  wg.add(10);
  for (int k = 0; k < 4; ++k) {
    fibers.go([&, k] {
      for (int i = 0; i < n; ++i) c[k].send(0);
      wg.done();
    });
    fibers.go([&, k] {
      for (int i = 0; i < n; ++i) c[k].recv();
      wg.done();
    });
  }
  fibers.go([&] {
    std::array<int, 4> cnt{};
    auto c1 = c;
    auto sent = [&](int k) {
      return [&, k] {
        if (++cnt[k] == n) c1[k] = goro::chan<int>();
      };
    };
    for (int i = 0; i < 4 * n; ++i)
      goro::select(goro::send(c1[3], 0, sent(3)), goro::send(c1[2], 0, sent(2)),
                   goro::send(c1[0], 0, sent(0)), goro::send(c1[1], 0, sent(1)));
    wg.done();
  });
  fibers.go([&] {
    std::array<int, 4> cnt{};
    auto c1 = c;
    auto got = [&](int k) {
      return [&, k](std::optional<int>) {
        if (++cnt[k] == n) c1[k] = goro::chan<int>();
      };
    };
    for (int i = 0; i < 4 * n; ++i)
      goro::select(goro::recv(c1[0], got(0)), goro::recv(c1[1], got(1)), goro::recv(c1[2], got(2)),
                   goro::recv(c1[3], got(3)));
    wg.done();
  });
  wait_or_fail(wg, "select stress");
  fibers.wait();
}

// Go: TestChanSendInterface. Sends of a type-erased value, in selects with a default.
TEST_P(ChanConformanceTest, ChanSendInterface) {
  struct mt {};
  auto m = std::make_shared<mt>();
  goro::chan<std::any> c(1);
  c.send(m);
  EXPECT_EQ(goro::select(goro::send(c, m), goro::otherwise()), 1);
  EXPECT_EQ(
      goro::select(goro::send(c, m), goro::send(c, std::make_shared<mt>()), goro::otherwise()), 2);
  EXPECT_EQ(std::any_cast<std::shared_ptr<mt>>(*c.recv()), m);
}

// Go: TestPseudoRandomSend. A select of two sends on one channel, to a receiver that yields
// before each receive: both cases must win a fair share, whether the select finds the
// receiver waiting or waits itself (unbuffered), or finds room in the buffer.
TEST_P(ChanConformanceTest, PseudoRandomSend) {
  conformance::fiber_group fibers;
  constexpr int n = 100;
  for (int cap : {0, n}) {
    goro::chan<int> c(cap);
    std::vector<int> l(n);
    goro::wait_group wg;
    wg.add(1);
    fibers.go([&, c] {
      for (int i = 0; i < n; ++i) {
        goro::this_fiber::yield();
        l[i] = *c.recv();
      }
      wg.done();
    });
    for (int i = 0; i < n; ++i) goro::select(goro::send(c, 1), goro::send(c, 0));
    if (!wait_or_fail(wg, "receiver")) return;
    int n0 = 0, n1 = 0;
    for (int v : l) {
      n0 += (v + 1) % 2;
      n1 += v;
    }
    EXPECT_TRUE(n0 > n / 10 && n1 > n / 10) << "want pseudorandom, got " << n0 << " zeros and "
                                            << n1 << " ones (chan cap " << cap << ")";
  }
  fibers.wait();
}

// Go: TestMultiConsumer. 23 workers range over a work channel (some yield to upset its
// FIFO-ish order) and forward to a result channel closed once all are done: every value
// arrives once.
TEST_P(ChanConformanceTest, MultiConsumer) {
  conformance::fiber_group fibers;
  constexpr int nwork = 23;
  const int niter = static_cast<int>(goro_test::scaled(27'182));
  constexpr std::array<int, 10> pn = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
  goro::chan<int> q(nwork * 3), r(nwork * 3);
  goro::wait_group wg;
  for (int w = 0; w < nwork; ++w) {
    wg.add(1);
    fibers.go([&, w, q, r] {
      for (int v : q) {
        if (pn[w % pn.size()] == v) goro::this_fiber::yield();
        r.send(v);
      }
      wg.done();
    });
  }
  long expect = 0;
  goro::wait_group feeder;
  feeder.add(1);
  fibers.go([&, q, r] {
    for (int i = 0; i < niter; ++i) {
      int v = pn[i % pn.size()];
      expect += v;
      q.send(v);
    }
    q.close();  // no more work
    wg.wait();  // workers done
    r.close();  // ... so there can be no more results
    feeder.done();
  });
  long n = 0, s = 0;
  for (int v : r) {
    ++n;
    s += v;
  }
  wait_or_fail(feeder, "feeder");
  EXPECT_EQ(n, niter);
  EXPECT_EQ(s, expect);
  fibers.wait();
}

// Uses about depth KiB of stack, briefly.
[[gnu::noinline]] int stack_growth_recursive(int depth) {
  volatile char pad[1024];
  pad[0] = static_cast<char>(depth);
  pad[1023] = pad[0];
  return depth == 0 ? pad[1023] : stack_growth_recursive(depth - 1) + pad[1023];
}

// Go: TestShrinkStackDuringBlockedSend. Channel operations work when the sender uses much
// of its stack between sends and is parked in a send when the receiver comes.
TEST_P(ChanConformanceTest, ShrinkStackDuringBlockedSend) {
  conformance::fiber_group fibers;
  constexpr int n = 10;
  goro::chan<int> c(0);
  goro::chan<int> done(0);
  fibers.go([c, done] {
    int sink = 0;
    for (int i = 0; i < n; ++i) {
      c.send(i);
      sink += stack_growth_recursive(20);  // use lots of stack, briefly
    }
    done.send(sink);
  });
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(recv_or_fail(c, "blocked sender"), i) << "bad channel read";
    // Let the sender finish using its stack and block in its send (Go sleeps here).
    if (i + 1 < n) {
      ASSERT_TRUE(wait_parked(1, "chan send"));
    }
  }
  recv_or_fail(done, "sender's end");
  fibers.wait();
}

// Go: TestSelectDuplicateChannel. A fiber queued twice on one channel (a select with two
// cases on it) and woken through a third channel dequeues itself cleanly: a later receiver
// queued on that channel is then the one a send wakes.
TEST_P(ChanConformanceTest, SelectDuplicateChannel) {
  conformance::fiber_group fibers;
  goro::chan<int> c(0), d(0), e(0);
  // fiber A
  fibers.go([c, d, e] {
    goro::select(goro::recv(c), goro::recv(c), goro::recv(d));
    e.send(9);
  });
  ASSERT_TRUE(wait_parked(1, "select"));  // A is queued on c first
  // fiber B
  auto b = goro::spawn([c] { return c.recv(); });
  ASSERT_TRUE(wait_parked(1, "chan receive"));  // B is queued on c before we go on
  d.send(7);                                    // wakes A, which dequeues itself from c
  EXPECT_EQ(recv_or_fail(e, "fiber A"), 9);
  c.send(8);  // wakes B
  EXPECT_EQ(b.join(), 8);
  fibers.wait();
}

// Go: TestSelectFairness. A select over four channels, two of them always ready: each of
// the two wins about half the time (within 10 sigma).
TEST_P(ChanConformanceTest, SelectFairness) {
  conformance::fiber_group fibers;
  const int trials = static_cast<int>(goro_test::scaled(10'000));
  goro::chan<char> c1(trials + 1), c2(trials + 1), c3(0), c4(0), out(0);
  goro::chan<char> done(0);
  for (int i = 0; i < trials + 1; ++i) {
    c1.send(1);
    c2.send(2);
  }
  goro::wait_group wg;
  wg.add(1);
  fibers.go([&] {
    for (;;) {
      char b = 0;
      auto take = [&](std::optional<char> v) { b = v.value_or(0); };
      goro::select(goro::recv(c3, take), goro::recv(c4, take), goro::recv(c1, take),
                   goro::recv(c2, take));
      if (goro::select(goro::send(out, b), goro::recv(done)) == 1) break;
    }
    wg.done();
  });
  int cnt1 = 0, cnt2 = 0;
  for (int i = 0; i < trials; ++i) {
    auto b = recv_or_fail(out, "selecting fiber");
    if (b == 1) {
      ++cnt1;
    } else if (b == 2) {
      ++cnt2;
    } else {
      ADD_FAILURE() << "unexpected value on channel";
      break;
    }
  }
  const double mean = trials * 0.5, stddev = std::sqrt(trials * 0.5 * (1 - 0.5));
  EXPECT_LE(std::abs(cnt1 - mean), 10 * stddev)
      << "unfair select: in " << trials << " trials, results were " << cnt1 << ", " << cnt2;
  done.close();
  wait_or_fail(wg, "selecting fiber's end");
  fibers.wait();
}

GORO_INSTANTIATE(ChanConformanceTest, 1, 2, 4);

}  // namespace
