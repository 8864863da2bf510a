// SIGQUIT prints every fiber and exits with status 2 (as Go), or only prints; the leak
// report at shutdown names the fibers left behind. Each case in a child process.
#include <algorithm>
#include <csignal>
#include <thread>

#include <unistd.h>

#include <gmock/gmock.h>

#include <goro/debug.hpp>
#include <goro/goro.hpp>

#include "goro_test.hpp"

namespace {

class SigquitTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

[[gnu::noinline]] void wait_for_a_customer(goro::chan<int> door) {
  door.recv();
  std::fflush(stdout);  // after the receive: not a tail call
}

// Until the fiber named `name` is parked (a bounded poll of the runtime's own state).
void until_parked(const char* name) {
  for (;;) {
    auto fs = goro::list_fibers(false);
    if (std::any_of(fs.begin(), fs.end(),
                    [&](auto& f) { return f.name == name && f.state == "parked"; }))
      return;
    std::this_thread::yield();
  }
}

TEST_F(SigquitTest, DumpsEveryFiberAndExitsWithStatus2) {
  EXPECT_EXIT(
      {
        goro::start({.procs = 2});
        goro::chan<int> door(0);
        goro::go({.name = "shopkeeper"}, [door] { wait_for_a_customer(door); });
        until_parked("shopkeeper");
        std::raise(SIGQUIT);
        for (;;) ::pause();  // the runtime's SIGQUIT thread ends the process
      },
      ::testing::ExitedWithCode(2),
      "SIGQUIT: quit\n\ngoro: 1 fibers\n\n"
      "fiber [0-9]+ \\(shopkeeper\\) \\[chan receive\\]:\n"
      "  spawned at [^\n]*TestBody[^\n]*\n"
      "(  #[0-9]+ [^\n]*\n)*  #[0-9]+ [^\n]*wait_for_a_customer[^\n]*\n");
}

TEST_F(SigquitTest, DumpOnlyGoesOn) {
  EXPECT_EXIT(
      {
        goro::start({.procs = 1, .sigquit = goro::sigquit_action::dump});
        goro::chan<int> door(0);
        auto h = goro::spawn({.name = "shopkeeper"}, [door] { wait_for_a_customer(door); });
        until_parked("shopkeeper");
        std::raise(SIGQUIT);
        // The dump runs on the runtime's SIGQUIT thread; the program goes on meanwhile, and
        // exits 3 once the fiber is done, after the dump (shutdown joins that thread).
        door.send(1);
        h.join();
        goro::shutdown();
        std::_Exit(3);
      },
      ::testing::ExitedWithCode(3), "SIGQUIT: quit\n\ngoro: [01] fibers\n");
}

TEST_F(SigquitTest, LeakReportAtShutdownNamesTheFiberLeftBehind) {
  EXPECT_EXIT(
      {
        goro::start({.procs = 1, .report_leaks = true});
        goro::chan<int> door(0);
        goro::go({.name = "forgotten"}, [door] { wait_for_a_customer(door); });
        until_parked("forgotten");
        goro::shutdown();
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0),
      "goro: 1 fibers still alive at shutdown \\(leaked\\):\n\n"
      "fiber [0-9]+ \\(forgotten\\) \\[chan receive\\]:\n");
}

}  // namespace
