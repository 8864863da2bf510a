// Go's select tests (test/chan/select3.go, select6.go, select7.go, doubleselect.go,
// nonblock.go), ported onto goro's API. Each test names the Go program it ports.
// Where Go sleeps to see that an operation blocks, the port waits until the fiber doing it
// is parked with the expected wait reason, checks it has not finished, then releases it.
// Differences: a nil channel's operation, and a select with no ready case and nothing to
// wake it, park a fiber forever; goro cannot end such a fiber, and the fixture requires
// every fiber ended. So "a select on nil channels is never chosen" is checked with a
// timeout case next to the nil cases (the timeout must win), and `select {}` and a plain
// operation on a nil channel are not ported. Go's panics are goro's exceptions
// (goro::closed_channel_error).
#include <atomic>
#include <functional>
#include <set>
#include <vector>

#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
using conformance::recv_or_fail;
using conformance::wait_or_fail;
using conformance::wait_parked;
using SelectConformanceTest = goro_test::RuntimeTest;

// select3.go's testBlock(never, f): f returns without anyone's help.
void expect_never_blocks(std::function<void()> f, const char* what) {
  conformance::fiber_group fibers;
  goro::chan<bool> done(1);
  fibers.go([f = std::move(f), done] {
    f();
    done.send(true);
  });
  EXPECT_EQ(recv_or_fail(done, what), true) << what;
  fibers.wait();
}

// select3.go's testBlock(always, f): f parks with `reason` and stays parked until
// `release` runs.
void expect_blocks_until(std::function<void()> f, const char* reason,
                         const std::function<void()>& release, const char* what) {
  std::atomic<bool> finished{false};
  conformance::fiber_group fibers;
  fibers.go([&] {
    f();
    finished = true;
  });
  ASSERT_TRUE(wait_parked(1, reason)) << what;
  EXPECT_FALSE(finished) << what << ": did not block";
  release();
  fibers.wait();
}

// Go: test/chan/select3.go, the semantics of select for basic empty/non-empty cases.
TEST_P(SelectConformanceTest, Select3) {
  goro::chan<int> nilch;
  goro::chan<int> closedch(0);
  closedch.close();

  // Sending/receiving from a nil channel inside a select is never selected.
  EXPECT_EQ(goro::select(goro::send(nilch, 7), goro::otherwise()), 1);
  EXPECT_EQ(goro::select(goro::recv(nilch), goro::otherwise()), 1);
  // Selects with only nil channels block (until something else wakes them).
  EXPECT_EQ(goro::select(goro::recv(nilch), goro::timeout(20ms)), 1);
  EXPECT_EQ(goro::select(goro::send(nilch, 7), goro::timeout(20ms)), 1);
  EXPECT_EQ(goro::select(goro::recv(nilch), goro::send(nilch, 7), goro::timeout(20ms)), 2);

  // Sending to an async channel with free buffer space never blocks.
  expect_never_blocks([] { goro::chan<int>(1).send(7); }, "send with buffer space");
  // Receiving from a closed channel never blocks.
  expect_never_blocks(
      [closedch] {
        for (int i = 0; i < 10; ++i) {
          EXPECT_EQ(closedch.recv(), std::nullopt) << "expected empty from closed channel";
        }
      },
      "receive from closed channel");
  // Sending to a closed channel panics.
  EXPECT_THROW(closedch.send(7), goro::closed_channel_error);

  // Receiving from a non-ready channel always blocks.
  {
    goro::chan<int> ch(0);
    expect_blocks_until([ch] { ch.recv(); }, "chan receive", [ch] { ch.send(1); },
                        "receive from non-ready channel");
  }
  // Selects with non-ready non-nil channels always block.
  {
    goro::chan<int> ch(0);
    expect_blocks_until([ch] { goro::select(goro::recv(ch)); }, "select", [ch] { ch.send(1); },
                        "select on non-ready channel");
  }

  // Selects with default cases don't block.
  expect_never_blocks([] { goro::select(goro::otherwise()); }, "select with only default");
  expect_never_blocks([nilch] { EXPECT_EQ(goro::select(goro::recv(nilch), goro::otherwise()), 1); },
                      "select nil receive with default");
  expect_never_blocks(
      [nilch] { EXPECT_EQ(goro::select(goro::send(nilch, 7), goro::otherwise()), 1); },
      "select nil send with default");

  // Selects with ready channels don't block.
  expect_never_blocks(
      [] {
        goro::chan<int> ch(1);
        EXPECT_EQ(goro::select(goro::send(ch, 7), goro::otherwise()), 0);
      },
      "select ready send");
  expect_never_blocks(
      [] {
        goro::chan<int> ch(1);
        ch.send(7);
        EXPECT_EQ(goro::select(goro::recv(ch), goro::otherwise()), 0);
      },
      "select ready receive");

  // Selects with closed channels behave like ordinary operations.
  expect_never_blocks([closedch] { goro::select(goro::recv(closedch)); },
                      "select receive on closed");
  expect_never_blocks(
      [closedch] {
        goro::select(
            goro::recv(closedch, [](std::optional<int> v) { EXPECT_EQ(v, std::nullopt); }));
      },
      "select receive (v, ok) on closed");
  EXPECT_THROW(goro::select(goro::send(closedch, 7)), goro::closed_channel_error);

  // Select should not get confused if it sees itself.
  {
    goro::chan<int> c(0);
    expect_blocks_until([c] { goro::select(goro::send(c, 1), goro::recv(c)); }, "select",
                        [c] { EXPECT_EQ(c.recv(), 1); }, "select that sees itself");
  }
}

// Go: test/chan/select6.go (issue 2075). A select that loses on c1 must leave c1's queue
// sound: later waits on c1 are still woken.
TEST_P(SelectConformanceTest, Select6) {
  conformance::fiber_group fibers;
  goro::chan<bool> c1(0), c2(0), c3(0);
  goro::wait_group wg;
  wg.add(3);
  fibers.go([&] {
    c1.recv();
    wg.done();
  });
  fibers.go([&] {
    goro::select(goro::recv(c1, [](auto) { ADD_FAILURE() << "dummy"; }),
                 goro::recv(c2, [&](auto) { c3.send(true); }));
    c1.recv();
    wg.done();
  });
  fibers.go([&] {
    c2.send(true);
    wg.done();
  });
  recv_or_fail(c3, "select woken through c2");
  c1.send(true);
  c1.send(true);
  wait_or_fail(wg, "select6's fibers");
  fibers.wait();
}

// Go: test/chan/select7.go: select when discarding a value, each of three ways to send
// against each of three ways to receive.
TEST_P(SelectConformanceTest, Select7) {
  using recv_fn = void (*)(goro::chan<int>);
  recv_fn recvs[] = {
      [](goro::chan<int> c) { c.recv(); },
      [](goro::chan<int> c) { goro::select(goro::recv(c)); },
      [](goro::chan<int> c) {
        goro::chan<int> c2(0);
        goro::select(goro::recv(c), goro::recv(c2));
      },
  };
  using send_fn = void (*)(goro::chan<int>);
  send_fn sends[] = {
      [](goro::chan<int> c) { c.send(1); },
      [](goro::chan<int> c) { goro::select(goro::send(c, 1)); },
      [](goro::chan<int> c) {
        goro::chan<int> c2(0);
        goro::select(goro::send(c, 1), goro::send(c2, 1));
      },
  };
  for (auto recv : recvs) {
    for (auto send : sends) {
      goro::chan<int> c(0);
      auto h = goro::spawn(recv, c);
      goro::this_fiber::yield();
      send(c);
      h.join();
    }
  }
}

// Go: test/chan/doubleselect.go. Two cases of one select must never both run: a sender's
// select over four channels, forwarded through four muxes, delivers each value once.
TEST_P(SelectConformanceTest, DoubleSelect) {
  conformance::fiber_group fibers;
  const int iterations = static_cast<int>(goro_test::scaled(20'000));
  goro::chan<int> c1(0), c2(0), c3(0), c4(0), cmux(0);
  fibers.go([=] {
    for (int i = 0; i < iterations; ++i)
      goro::select(goro::send(c1, i), goro::send(c2, i), goro::send(c3, i), goro::send(c4, i));
    c1.close();
    c2.close();
    c3.close();
    c4.close();
  });
  auto muxes = std::make_shared<std::atomic<int>>(4);
  for (auto in : {c1, c2, c3, c4})
    fibers.go([in, cmux, muxes] {
      for (int v : in) cmux.send(v);
      if (muxes->fetch_sub(1) == 1) cmux.close();
    });
  std::set<int> seen;
  int duplicates = 0;
  for (int v : cmux)
    if (!seen.insert(v).second) ++duplicates;
  EXPECT_EQ(duplicates, 0) << "got duplicate values";
  EXPECT_EQ(static_cast<int>(seen.size()), iterations);
  fibers.wait();
}

// Go: test/chan/nonblock.go. Non-blocking sends and receives (selects with a default, and
// try_send/try_recv) fail on a channel nobody is ready on, and succeed against a partner
// that waits (Go retries with sleeps until they do; here the partner is parked first).
TEST_P(SelectConformanceTest, Nonblock) {
  conformance::fiber_group fibers;
  for (int buffer : {0, 1}) {
    SCOPED_TRACE(::testing::Message() << "buffer " << buffer);
    goro::chan<int> c(buffer);
    goro::chan<bool> sync(0);
    EXPECT_EQ(goro::select(goro::recv(c), goro::otherwise()), 1) << "blocked sender";
    EXPECT_EQ(c.try_recv(), std::nullopt);

    // A receiver is waiting: the non-blocking send succeeds.
    fibers.go([c, sync] {
      EXPECT_EQ(c.recv(), 123) << "receiver value";
      sync.send(true);
    });
    if (buffer == 0) {
      ASSERT_TRUE(wait_parked(1, "chan receive"));
    }
    EXPECT_EQ(goro::select(goro::send(c, 123), goro::otherwise()), 0) << "receiver waiting";
    recv_or_fail(sync, "receiver");

    // A sender has sent (buffered) or waits (unbuffered): the non-blocking receive succeeds.
    fibers.go([c, sync] {
      c.send(234);
      sync.send(true);
    });
    if (buffer > 0) {
      recv_or_fail(sync, "sender");
    } else {
      ASSERT_TRUE(wait_parked(1, "chan send"));
    }
    std::optional<int> v;
    EXPECT_EQ(goro::select(goro::recv(c, [&](std::optional<int> x) { v = x; }), goro::otherwise()),
              0)
        << "sender waiting";
    EXPECT_EQ(v, 234) << "sender value";
    if (buffer == 0) recv_or_fail(sync, "sender");

    // The same with try_send and try_recv.
    fibers.go([c, sync] {
      EXPECT_EQ(c.recv(), 345);
      sync.send(true);
    });
    if (buffer == 0) {
      ASSERT_TRUE(wait_parked(1, "chan receive"));
    }
    EXPECT_TRUE(c.try_send(345));
    recv_or_fail(sync, "receiver");
  }
  fibers.wait();
}

GORO_INSTANTIATE(SelectConformanceTest, 1, 2, 4);

}  // namespace
