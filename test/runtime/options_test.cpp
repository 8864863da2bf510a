#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>

#include <goro/runtime.hpp>

#include "goro_test.hpp"

namespace {

TEST(OptionsTest, InvalidProcsAreRejectedWithAMessage) {
  try {
    goro::start({.procs = 5000});
    FAIL() << "start accepted procs=5000";
  } catch (const goro::option_error& e) {
    EXPECT_NE(std::string(e.what()).find("procs=5000"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(goro::running());
  EXPECT_THROW(goro::start({.procs = -1}), goro::option_error);
}

TEST(OptionsTest, InvalidEnvironmentIsRejected) {
  ::setenv("GORO_PROCS", "lots", 1);
  EXPECT_THROW(goro::start(), goro::option_error);
  ::setenv("GORO_PROCS", "3", 1);
  goro::start();
  EXPECT_EQ(goro::procs(), 3);
  goro::shutdown();
  ::unsetenv("GORO_PROCS");
  ::setenv("GORO_STACK_GUARD", "sometimes", 1);
  EXPECT_THROW(goro::start(), goro::option_error);
  ::unsetenv("GORO_STACK_GUARD");
  ::setenv("GORO_SIGQUIT", "loudly", 1);
  EXPECT_THROW(goro::start(), goro::option_error);
  ::unsetenv("GORO_SIGQUIT");
  ::setenv("GORO_REPORT_LEAKS", "yes", 1);
  EXPECT_THROW(goro::start(), goro::option_error);
  ::unsetenv("GORO_REPORT_LEAKS");
  EXPECT_FALSE(goro::running());
}

// GORO_PROCS=0 is the default, as GOMAXPROCS=0 is in Go: one processor per hardware thread.
// Negatives, values past 1024 and garbage are still rejected, naming the variable.
TEST(OptionsTest, ProcsZeroInTheEnvironmentMeansTheDefault) {
  struct unset_at_exit {
    ~unset_at_exit() { ::unsetenv("GORO_PROCS"); }
  } unset;
  ::setenv("GORO_PROCS", "0", 1);
  goro::start();
  EXPECT_EQ(goro::procs(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  goro::shutdown();
  for (const char* bad : {"-1", "1025", "0x2", " 2", "2 "}) {
    ::setenv("GORO_PROCS", bad, 1);
    try {
      goro::start();
      ADD_FAILURE() << "start accepted GORO_PROCS=\"" << bad << "\"";
      goro::shutdown();
    } catch (const goro::option_error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("GORO_PROCS=") + bad), std::string::npos)
          << e.what();
    }
  }
  EXPECT_FALSE(goro::running());
}

TEST(OptionsTest, StartTwiceThrowsShutdownTwiceIsANoOp) {
  goro::start({.procs = 2});
  EXPECT_THROW(goro::start({.procs = 2}), goro::runtime_error);
  goro::shutdown();
  goro::shutdown();
  EXPECT_FALSE(goro::running());
}

TEST(OptionsTest, ShutdownFromAFiberThrows) {
  goro::start({.procs = 1});
  auto h = goro::spawn([] { goro::shutdown(); });
  EXPECT_THROW(h.join(), goro::runtime_error);
  goro::shutdown();
}

TEST(OptionsTest, StartsImplicitlyAndRestarts) {
  ASSERT_FALSE(goro::running());
  EXPECT_EQ(goro::spawn([] { return 1; }).join(), 1);
  EXPECT_TRUE(goro::running());
  goro::shutdown();
  goro::start({.procs = 1});
  EXPECT_EQ(goro::procs(), 1);
  EXPECT_EQ(goro::spawn([] { return 2; }).join(), 2);
  goro::shutdown();
  EXPECT_EQ(goro::live_fibers(), 0);
}

}  // namespace
