// A join_handle outlives goro::shutdown(): its fiber's control block lives on the fiber's
// stack, which shutdown used to unmap as soon as no fiber was running (the handle still held
// the ended fiber). Dropping or joining the handle then was a SIGSEGV on an unmapped stack.
// Now the handle stays usable: join() returns the result, dropping it frees the result.
#include <memory>
#include <stdexcept>
#include <string>

#include <goro/runtime.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

#include "goro_test.hpp"
#include "stack_pool.hpp"

namespace {

// Spawns fn, waits until its fiber has ended (done() is its very last act), shuts down.
template <class Fn>
auto spawn_run_and_shut_down(Fn fn) {
  goro::start({.procs = 2});
  goro::wait_group ended;
  ended.add(1);
  auto h = goro::spawn({.name = "outlived", .group = &ended}, std::move(fn));
  ended.wait();
  goro::shutdown();
  return h;
}

TEST(JoinHandleAfterShutdownTest, DroppingTheHandleFreesTheResult) {
  auto shared = std::make_shared<int>(42);
  {
    auto h = spawn_run_and_shut_down([shared] { return shared; });
    EXPECT_FALSE(goro::running());
    EXPECT_EQ(shared.use_count(), 2);  // the result, on the ended fiber's stack
  }                                    // dropped unjoined after shutdown
  EXPECT_EQ(shared.use_count(), 1);
}

TEST(JoinHandleAfterShutdownTest, JoinReturnsTheResult) {
  auto h = spawn_run_and_shut_down([] { return std::string(100, 'x'); });
  EXPECT_EQ(h.join(), std::string(100, 'x'));
  EXPECT_FALSE(h.joinable());
}

TEST(JoinHandleAfterShutdownTest, JoinRethrowsTheException) {
  auto h = spawn_run_and_shut_down([]() -> int { throw std::out_of_range("late"); });
  EXPECT_THROW(h.join(), std::out_of_range);
}

TEST(JoinHandleAfterShutdownTest, StacksAreUnmappedOnceTheLastHandleIsGone) {
  auto h = spawn_run_and_shut_down([] { return 1; });
  // The handle holds a stack: shutdown kept the pool mapped.
  EXPECT_GT(goro::detail::stack_pool::instance().mapped_bytes(), 0u);
  h.detach();
  // The next runtime reuses the pool, and its shutdown, with nothing held, unmaps it.
  goro::start({.procs = 2});
  EXPECT_EQ(goro::spawn([] { return 7; }).join(), 7);
  goro::shutdown();
  EXPECT_EQ(goro::detail::stack_pool::instance().mapped_bytes(), 0u);
  EXPECT_EQ(goro::live_fibers(), 0);
}

}  // namespace
