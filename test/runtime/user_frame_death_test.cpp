// User code with a frame larger than its stack's guard page. Built as a user's program is:
// linked to goro::goro and nothing else, with none of the flags goro's own directories set
// (test/CMakeLists.txt clears them). Without -fstack-clash-protection, which goro::goro
// carries to its users, the frame's first write jumps the guard page and lands in another
// fiber's stack: silent corruption, then at best a bare SIGSEGV somewhere unrelated. With it,
// the prologue probes each page of the frame from the top, the guard page is hit first,
// and the overflow is reported naming the fiber.
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include <goro/goro.hpp>

namespace {

class UserFrameDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// A 75 KB frame whose lowest byte is the first one touched.
[[gnu::noinline]] int big_frame() {
  char frame[75 * 1024];
  // The frame's address escapes: no compiler may shrink it (clang 14 kept only the two bytes
  // a volatile array's code touched, so the frame was 8 bytes and the test saw nothing).
  asm volatile("" : : "r"(frame) : "memory");
  frame[0] = 1;  // its lowest byte first
  asm volatile("" : : "r"(frame) : "memory");
  return frame[0];
}

TEST_F(UserFrameDeathTest, FrameLargerThanTheStackIsReportedNamingTheFiber) {
  EXPECT_DEATH(
      {
        goro::start({.procs = 2});
        // Neighbours: stacks around the offender's, in use.
        goro::wait_group hold;
        hold.add(1);
        goro::wait_group parked;
        for (int i = 0; i < 8; ++i) {
          parked.add(1);
          goro::go({.stack_size = 64 * 1024}, [&] {
            parked.done();
            hold.wait();
          });
        }
        parked.wait();
        int r = goro::spawn({.stack_size = 64 * 1024, .name = "big-frame"}, big_frame).join();
        hold.done();
        goro::shutdown();
        std::fprintf(stderr, "big_frame returned %d: nothing was detected\n", r);
        std::fflush(stderr);
        std::abort();
      },
      "goro: fatal: fiber [0-9]+ \\(big-frame\\) overflowed its 64 KiB stack");
}

}  // namespace
