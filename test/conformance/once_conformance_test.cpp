// Go's sync/once_test.go, ported onto goro::once (Do is call()). Each test names the Go
// test it ports.
// Difference on purpose: in Go, a Do whose f panics counts as done, and a later Do does not
// call f again. goro::once follows std::call_once: if f throws, the exception goes to its
// caller and the next call() tries f again (goro/once.hpp). TestOncePanic's port asserts
// goro's rule.
#include <atomic>
#include <stdexcept>

#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using conformance::recv_or_fail;
using OnceConformanceTest = goro_test::RuntimeTest;

// Go: TestOnce: 10 fibers call Do(increment); the count is 1 when each returns.
TEST_P(OnceConformanceTest, Once) {
  conformance::fiber_group fibers;
  std::atomic<int> o{0};
  goro::once once;
  goro::chan<bool> c(0);
  for (int i = 0; i < 10; ++i)
    fibers.go([&, c] {
      once.call([&] { o.fetch_add(1); });
      EXPECT_EQ(o.load(), 1) << "once failed inside run";
      c.send(true);
    });
  for (int i = 0; i < 10; ++i) recv_or_fail(c, "once caller");
  EXPECT_EQ(o.load(), 1) << "once failed outside run";
  fibers.wait();
}

// Go: TestOncePanic, with goro's rule: the throw reaches the caller, and the next call runs
// f (Go: does not).
TEST_P(OnceConformanceTest, OncePanic) {
  goro::once once;
  EXPECT_THROW(once.call([] { throw std::runtime_error("failed"); }), std::runtime_error);
  EXPECT_FALSE(once.done_already());
  bool ran = false;
  once.call([&] { ran = true; });
  EXPECT_TRUE(ran) << "goro::once runs f again after a throw";
  bool ran_again = false;
  once.call([&] { ran_again = true; });
  EXPECT_FALSE(ran_again) << "once done: f never runs again";
}

GORO_INSTANTIATE(OnceConformanceTest, 1, 2, 4);

}  // namespace
