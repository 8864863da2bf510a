// The fatal end of a join_handle that outlives goro::shutdown() (see
// join_handle_shutdown_test.cpp): an exception nobody receives still ends the process naming
// the fiber, as Go's panic does.
#include <goro/runtime.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

#include <stdexcept>

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

}  // namespace
