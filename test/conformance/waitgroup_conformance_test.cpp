// Go's sync/waitgroup_test.go, ported onto goro::wait_group. Each test names the Go test it
// ports.
// Differences on purpose: Go panics on a negative counter; goro throws
// goro::wait_group_error. TestWaitGroupMisuse2 and TestWaitGroupMisuse3 are not ported: they
// expect Go's opportunistic panics for an add() racing a wait() or a reuse before wait()
// returned, which goro does not detect (the rule is documented in goro/wait_group.hpp).
#include <atomic>

#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using conformance::recv_or_fail;
using conformance::wait_or_fail;
using WaitGroupConformanceTest = goro_test::RuntimeTest;

void test_wait_group(goro::wait_group& wg1, goro::wait_group& wg2) {
  conformance::fiber_group fibers;
  constexpr int n = 16;
  wg1.add(n);
  wg2.add(n);
  goro::chan<bool> exited(n);
  for (int i = 0; i != n; ++i)
    fibers.go([&, exited] {
      wg1.done();
      wg2.wait();
      exited.send(true);
    });
  wait_or_fail(wg1, "wg1");
  for (int i = 0; i != n; ++i) {
    EXPECT_EQ(exited.try_recv(), std::nullopt) << "wait_group released group too soon";
    wg2.done();
  }
  for (int i = 0; i != n; ++i) recv_or_fail(exited, "barrier released everyone");
  fibers.wait();
}

// Go: TestWaitGroup: a wait_group used as a barrier, eight times over.
TEST_P(WaitGroupConformanceTest, WaitGroup) {
  goro::wait_group wg1, wg2;
  for (int i = 0; i != 8; ++i) test_wait_group(wg1, wg2);
}

// Go: TestWaitGroupMisuse: a negative counter is misuse.
TEST_P(WaitGroupConformanceTest, WaitGroupMisuse) {
  goro::wait_group wg;
  wg.add(1);
  wg.done();
  EXPECT_THROW(wg.done(), goro::wait_group_error);
}

// Go: TestWaitGroupRace: no spurious wake-up of wait().
TEST_P(WaitGroupConformanceTest, WaitGroupRace) {
  conformance::fiber_group fibers;
  const int rounds = static_cast<int>(goro_test::scaled(1000));
  for (int i = 0; i < rounds; ++i) {
    goro::wait_group wg;
    std::atomic<int> n{0};
    wg.add(1);
    fibers.go([&] {
      n.fetch_add(1);
      wg.done();
    });
    wg.add(1);
    fibers.go([&] {
      n.fetch_add(1);
      wg.done();
    });
    ASSERT_TRUE(wait_or_fail(wg, "two fibers"));
    ASSERT_EQ(n.load(), 2) << "spurious wake-up from wait";
  }
  fibers.wait();
}

// Go: TestWaitGroupAlign: a wait_group after a byte in a struct works.
TEST_P(WaitGroupConformanceTest, WaitGroupAlign) {
  conformance::fiber_group fibers;
  struct x_t {
    char x;
    goro::wait_group wg;
  } x;
  x.wg.add(1);
  fibers.go([](x_t* x) { x->wg.done(); }, &x);
  wait_or_fail(x.wg, "aligned wait_group");
  fibers.wait();
}

GORO_INSTANTIATE(WaitGroupConformanceTest, 1, 2, 4);

}  // namespace
