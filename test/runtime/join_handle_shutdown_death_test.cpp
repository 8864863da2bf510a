// join_handles that outlive goro::shutdown() (see join_handle_shutdown_test.cpp), in a
// child process each: an exception nobody receives still ends the process naming the fiber,
// as Go's panic does; joining a fiber that shutdown abandoned unfinished throws instead of
// waiting forever (the abandoned fiber stays counted alive, hence the child process).
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <goro/runtime.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

#include "goro_test.hpp"

namespace {

class JoinHandleAfterShutdownDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(JoinHandleAfterShutdownDeathTest, DroppedHandleOfAFiberThatThrewIsFatal) {
  EXPECT_DEATH(
      {
        goro::start({.procs = 2});
        goro::wait_group ended;
        ended.add(1);
        auto h = goro::spawn({.name = "outlived", .group = &ended},
                             []() -> int { throw std::out_of_range("unseen"); });
        ended.wait();
        goro::shutdown();
        h.detach();
      },
      "goro: fatal: fiber [0-9]+ \\(outlived\\) ended with an unhandled exception: "
      "std::out_of_range: unseen");
}

// Spawns a fiber that never ends, and a plain thread joining it; shuts down; then joins
// from main too. Both joins throw goro::runtime_error; the child exits 0 if they did.
void join_an_abandoned_fiber() {
  goro::start({.procs = 2});
  goro::wait_group never, parked;
  never.add(1);
  parked.add(1);
  auto h = goro::spawn({.name = "stuck"}, [&] {
    parked.done();
    never.wait();
  });
  auto h2 = goro::spawn([&] { never.wait(); });
  parked.wait();
  std::thread joiner([&] {
    try {
      h2.join();
    } catch (const goro::runtime_error& e) {
      std::fprintf(stderr, "thread: %s\n", e.what());
      return;
    }
    std::fprintf(stderr, "thread: join returned\n");
    std::_Exit(1);
  });
  goro::shutdown();
  joiner.join();
  try {
    h.join();
  } catch (const goro::runtime_error& e) {
    std::fprintf(stderr, "main: %s\n", e.what());
    std::_Exit(0);
  }
  std::fprintf(stderr, "main: join returned\n");
  std::_Exit(1);
}

TEST_F(JoinHandleAfterShutdownDeathTest, JoinOfAFiberAbandonedAtShutdownThrows) {
  EXPECT_EXIT(join_an_abandoned_fiber(), ::testing::ExitedWithCode(0),
              "thread: goro: join of fiber [0-9]+: it was abandoned unfinished by "
              "goro::shutdown\\(\\).*"
              "main: goro: join of fiber [0-9]+ \\(stuck\\): it was abandoned unfinished by "
              "goro::shutdown\\(\\)");
}

}  // namespace
