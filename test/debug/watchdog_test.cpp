// The watchdog names a fiber that keeps its processor without a scheduling point (with its
// backtrace) and one blocked in a system call outside goro::blocking. Each case in a child.
#include <thread>

#include <unistd.h>

#include <gmock/gmock.h>

#include <goro/goro.hpp>
#include <goro/stats.hpp>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;

class WatchdogTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// The hog's backtrace, taken from the SIGURG handler's context, reaches its own function.
// Under ThreadSanitizer a signal is delivered at the runtime's next safe point, with a
// context of its own: the report is checked there without its frames.
#if defined(__SANITIZE_THREAD__)
#define GORO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GORO_TSAN 1
#endif
#endif
#ifdef GORO_TSAN
#define GORO_HOG_FRAMES ""
#else
#define GORO_HOG_FRAMES "(  #[0-9]+ [^\n]*\n)*  #[0-9]+ [^\n]*spin_until_noticed"
#endif

// Busy until the watchdog has named it: no scheduling point in the loop.
[[gnu::noinline]] long spin_until_noticed() {
  long spins = 0;
  while (goro::stats().watchdog_reports == 0) ++spins;
  return spins;
}

TEST_F(WatchdogTest, NamesAFiberRunningWithoutASchedulingPoint) {
  EXPECT_EXIT(
      {
        goro::start({.procs = 1, .watchdog = 50ms});
        auto hog = goro::spawn({.name = "hog"}, [] { return spin_until_noticed(); });
        (void)hog.join();
        goro::shutdown();
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0),
      "goro: watchdog: fiber [0-9]+ \\(hog\\) has run for [0-9]+ ms without a scheduling "
      "point[^\n]*\n" GORO_HOG_FRAMES);
}

TEST_F(WatchdogTest, NamesAFiberInASystemCallOutsideBlocking) {
  EXPECT_EXIT(
      {
        goro::start({.procs = 1, .watchdog = 50ms});
        int fds[2];
        if (::pipe(fds) != 0) std::_Exit(9);
        auto sleeper = goro::spawn({.name = "sleeper"}, [fd = fds[0]] {
          char c;
          return ::read(fd, &c, 1);  // blocks the thread, and the processor with it
        });
        while (goro::stats().watchdog_reports == 0) std::this_thread::yield();
        if (::write(fds[1], "x", 1) != 1) std::_Exit(8);
        const bool read_one = sleeper.join() == 1;
        goro::shutdown();
        std::_Exit(read_one ? 0 : 7);
      },
      ::testing::ExitedWithCode(0),
      "goro: watchdog: fiber [0-9]+ \\(sleeper\\) has been in system call 0 for [0-9]+ ms "
      "outside goro::blocking");
}

}  // namespace
