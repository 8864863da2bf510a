// Fatal errors end in a message naming the fiber, never in silence or a bare SIGSEGV.
// Each case runs in a child process (gtest "threadsafe" death tests re-execute the binary).
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include "goro_test.hpp"

namespace {

class DeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// Recursion with a 1 KiB frame that it writes, and a scheduling point every 8 levels.
[[gnu::noinline]] long deep(long n) {
  volatile char frame[1024];
  std::memset(const_cast<char*>(frame), static_cast<int>(n), sizeof frame);
  if (n % 8 == 0) goro::this_fiber::yield();
  if (n > (1L << 40)) return 0;  // never: keeps the compiler from calling it infinite
  return deep(n + 1) + frame[n % sizeof frame];
}

void overflow_named(const char* name) {
  goro::spawn({.stack_size = 64 * 1024, .name = name}, [] { return deep(0); }).join();
}

TEST_F(DeathTest, UnjoinedExceptionTerminatesNamingTheFiber) {
  EXPECT_DEATH(
      {
        goro::go({.name = "thrower"}, [] { throw std::runtime_error("disk on fire"); });
        goro::spawn([] {
          for (;;) goro::this_fiber::yield();
        }).join();
      },
      "goro: fatal: fiber [0-9]+ \\(thrower\\) ended with an unhandled exception: "
      "std::runtime_error: disk on fire");
}

TEST_F(DeathTest, DroppedHandleOfAFailedFiberTerminates) {
  EXPECT_DEATH(
      {
        goro::wait_group ended;
        ended.add(1);
        auto h = goro::spawn({.name = "lost"}, [&] {
          struct signal_end {
            goro::wait_group& wg;
            ~signal_end() { wg.done(); }
          } s{ended};
          throw std::logic_error("nobody listens");
        });
        ended.wait();  // the fiber is unwinding, or already ended
        h.detach();    // its exception would be lost: fatal, now or when the fiber ends
        goro::wait_group never;
        never.add(1);
        never.wait();  // keeps this process alive until the fatal error
      },
      "fiber [0-9]+ \\(lost\\) ended with an unhandled exception: std::logic_error");
}

// A SIGSEGV sent by another process is not a fault: it ends the process with the signal's
// default action (before: the overflow handler swallowed it, and the program ran on).
TEST_F(DeathTest, SegvSentByKillIsNotSwallowed) {
  EXPECT_EXIT(
      {
        goro::run({.procs = 1}, [] {
          ::kill(::getpid(), SIGSEGV);
          goro::this_fiber::yield();
        });
        std::exit(0);
      },
      // Killed by SIGSEGV; under AddressSanitizer, whose handler was there first, its report
      // and exit status 1. Either way the program does not run on to exit 0.
      [](int st) { return !(WIFEXITED(st) && WEXITSTATUS(st) == 0); }, "");
}

TEST_F(DeathTest, StackOverflowIsNamedWithKernelGuards) {
  EXPECT_DEATH(
      {
        goro::start({.procs = 2});
        overflow_named("deep-recursor");
      },
      "goro: fatal: fiber [0-9]+ \\(deep-recursor\\) overflowed its 64 KiB stack \\(fault at "
      "0x[0-9a-f]+, in guard page\\); raise it with spawn options");
}

// Guards go in ahead, 64 slots per system call (stack_pool.hpp K1): the 101st fresh stack's
// guard, from the second batch, catches its overflow as the first one's does.
TEST_F(DeathTest, StackOverflowIsNamedOnAStackPastTheFirstGuardBatch) {
  EXPECT_DEATH(
      {
        goro::start({.procs = 2});
        goro::wait_group gate;  // one declaration each: a comma would split the macro's argument
        goro::wait_group parked;
        gate.add(1);
        parked.add(100);
        for (int i = 0; i < 100; ++i)
          goro::go({.stack_size = 64 * 1024}, [&] {
            parked.done();
            gate.wait();
          });
        parked.wait();
        overflow_named("late-recursor");
      },
      "goro: fatal: fiber [0-9]+ \\(late-recursor\\) overflowed its 64 KiB stack \\(fault at "
      "0x[0-9a-f]+, in guard page\\)");
}

TEST_F(DeathTest, StackOverflowIsNamedWithMprotectGuards) {
  EXPECT_DEATH(
      {
        goro::start({.procs = 2, .guard = goro::stack_guard::mprotect});
        overflow_named("mprotected");
      },
      "fiber [0-9]+ \\(mprotected\\) overflowed its 64 KiB stack \\(fault at 0x[0-9a-f]+, in "
      "guard page\\)");
}

TEST_F(DeathTest, StackOverflowIsNamedBeyondTheGuardBudget) {
  // Budget of one guard: a first fiber takes it, the recursing one has only its canary.
  EXPECT_DEATH(
      {
        goro::start({.procs = 1, .guard = goro::stack_guard::mprotect, .mprotect_guard_budget = 1});
        goro::wait_group gate;
        gate.add(1);
        goro::go([&] { gate.wait(); });
        overflow_named("unguarded");
      },
      // Under AddressSanitizer, which knows each fiber's stack bounds, ASan reports first.
      "fiber [0-9]+ \\(unguarded\\) overflowed its 64 KiB stack|"
      "AddressSanitizer: stack-buffer-underflow");
}

[[gnu::noinline]] std::uintptr_t opaque_address() { return 16; }

TEST_F(DeathTest, WildPointerInAFiberIsNotCalledAnOverflow) {
  // The fault goes to the previous handler (the default SIGSEGV, or ASan's report).
  EXPECT_EXIT(
      { goro::spawn([] { *reinterpret_cast<volatile int*>(opaque_address()) = 1; }).join(); },
      [](int status) { return !WIFEXITED(status) || WEXITSTATUS(status) != 0; },
      ::testing::Not(::testing::HasSubstr("overflowed")));
}

}  // namespace
