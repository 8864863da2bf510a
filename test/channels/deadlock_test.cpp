// The deadlock report of goro::run: it fires when nothing can wake any fiber, names every
// fiber with its wait reason and exits with status 2; it stays silent while a timer, a
// goro::blocking call or a declared plain thread can still wake one.
#include "debug/deadlock.hpp"

#include <atomic>
#include <latch>
#include <string_view>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include <goro/net/tcp.hpp>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;

class DeadlockTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_P(DeadlockTest, ReportNamesEveryFiberAndItsWaitReason) {
  const int procs = GetParam();
  EXPECT_EXIT(goro::run({.procs = procs},
                        [] {
                          goro::mutex mu;
                          mu.lock();
                          goro::wait_group never;
                          never.add(1);
                          goro::chan<int> nobody_sends(0);
                          goro::go({.name = "locker"}, [&] {
                            goro::this_fiber::sleep_for(1ms);  // a pending timer delays the report
                            mu.lock();
                          });
                          goro::go({.name = "waiter"}, [&] { never.wait(); });
                          goro::go({.name = "selector"}, [&] {
                            goro::chan<int> nil;
                            goro::select(goro::recv(nobody_sends), goro::recv(nil));
                          });
                          nobody_sends.recv();
                        }),
              ::testing::ExitedWithCode(2),
              "fatal error: all fibers are asleep - deadlock!\n\n"
              "fiber [0-9]+ \\(main\\) \\[chan receive\\]:\n(  [^\n]*\n)+\n"
              "fiber [0-9]+ \\(locker\\) \\[mutex lock\\]:\n(  [^\n]*\n)+\n"
              "fiber [0-9]+ \\(waiter\\) \\[wait_group wait\\]:\n(  [^\n]*\n)+\n"
              "fiber [0-9]+ \\(selector\\) \\[select\\]:\n(  [^\n]*\n)+\n");
}

TEST_P(DeadlockTest, APlainThreadBlockedInGoroIsAsleepToo) {
  const int procs = GetParam();
  EXPECT_EXIT(
      {
        goro::wait_group never;
        never.add(1);
        std::thread t([&] { never.wait(); });  // blocked without a deadline: asleep
        goro::run({.procs = procs}, [] { goro::chan<int>(0).send(1); });
        t.join();
      },
      ::testing::ExitedWithCode(2),
      "all fibers are asleep - deadlock!\n\nfiber [0-9]+ \\(main\\) \\[chan send\\]:\n");
}

TEST_P(DeadlockTest, MainsResultIsReturnedAndExceptionsRethrown) {
  const int procs = GetParam();
  EXPECT_EQ(goro::run({.procs = procs}, [] { return 7; }), 7);
  EXPECT_FALSE(goro::running());
  EXPECT_THROW(goro::run({.procs = procs}, [] { throw std::out_of_range("x"); }),
               std::out_of_range);
  EXPECT_FALSE(goro::running());
}

// The cases below must not report: a false report ends the test binary with status 2.
// Each waits (no sleep) until the runtime sits in the state under test: every fiber parked,
// every processor idle, so that the check of the last machine going idle has run; the one
// thing that can still wake a fiber is what the case is about.

// Every processor idle (no fiber runs on one; a fiber inside goro::blocking counts as
// running, off any processor), no machine spinning, nothing runnable, and main parked with
// `reason`. Read from a plain thread or from inside goro::blocking (a fiber polling would
// keep its processor).
bool settled(int procs, std::string_view reason) {
  auto st = goro::stats();
  return st.idle_processors == procs && st.spinning_machines == 0 && st.fibers_runnable == 0 &&
         goro_test::parked(goro_test::fiber_named("main"), reason)();
}

TEST_P(DeadlockTest, NoReportWhileATimerIsPending) {
  const int procs = GetParam();
  int got = 0, sleeps = 0;
  std::atomic<bool> seen{false};  // an observer saw every fiber parked, a timer pending
  std::thread observer([&] {
    goro_test::wait_until("main and the sleeper parked, the runtime idle", [&] {
      return goro::running() && settled(procs, "chan receive") &&
             goro_test::count_parked("sleep") == 1;
    });
    seen.store(true);
  });
  goro::run({.procs = procs}, [&] {
    goro::chan<int> c(0);
    goro::go([c, &seen, &sleeps] {
      // Sleeps again until the observer has seen the state: a timer the only thing left.
      do {
        ++sleeps;
        goro::this_fiber::sleep_for(20ms);
      } while (!seen.load());
      c.send(5);
    });
    got = *c.recv();
  });
  observer.join();
  EXPECT_EQ(got, 5);
  EXPECT_GE(sleeps, 1);
}

TEST_P(DeadlockTest, NoReportWhileAFiberIsInsideBlocking) {
  const int procs = GetParam();
  int got = 0;
  goro::run({.procs = procs}, [&] {
    goro::chan<int> c(0);
    goro::go([c, procs] {
      // Stands for a slow system call: no fiber runs, no timer is pending meanwhile. It
      // returns once the runtime has settled around it.
      goro::blocking([procs] {
        goro_test::wait_until("main parked, every processor idle",
                              [&] { return settled(procs, "chan receive"); });
      });
      c.send(6);
    });
    got = *c.recv();
  });
  EXPECT_EQ(got, 6);
}

TEST_P(DeadlockTest, NoReportWhileADeclaredThreadMayStillWakeAFiber) {
  const int procs = GetParam();
  int got = 0;
  goro::chan<int> c(0);
  std::latch declared(1);
  std::thread t([&] {
    goro::active_thread active;
    declared.count_down();
    goro_test::wait_until("main parked, every processor idle",
                          [&] { return settled(procs, "chan receive"); });
    c.send(8);
  });
  goro::run({.procs = procs}, [&] {
    declared.wait();  // holds main's processor: no check until the thread is declared
    got = *c.recv();
  });
  t.join();
  EXPECT_EQ(got, 8);
}

TEST_P(DeadlockTest, NoReportWhileAThreadWaitsWithADeadline) {
  int got = 0;
  goro::run({.procs = GetParam()}, [&] {
    goro::chan<int> c(0), never(0);
    std::thread t([&] {
      goro::select(goro::recv(never), goro::timeout(200ms));  // a timed wait: active
      c.send(9);
    });
    // Main holds its processor while it spins, so no check can fire; it parks only once
    // the thread's timed wait is counted. Between the wait's end and the send no machine
    // goes idle (they all sleep already), so no check runs in that gap either.
    while (goro::detail::active_threads_now() == 0) {
    }
    got = *c.recv();
    t.join();
  });
  EXPECT_EQ(got, 9);
}

TEST_P(DeadlockTest, NoReportWhileAFiberWaitsForTheNetwork) {
  const int procs = GetParam();
  std::string got;
  goro::run({.procs = procs}, [&] {
    auto ln = goro::net::listen("127.0.0.1:0");
    const auto addr = ln.local_address();
    // A plain thread, not declared: the kernel wakes the fiber, through the poller.
    std::thread peer([addr, procs] {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (::connect(fd, addr.data(), addr.size()) != 0) std::abort();
      goro_test::wait_until("main parked in I/O, every processor idle",
                            [&] { return settled(procs, "io wait"); });
      (void)!::write(fd, "net", 3);
      ::close(fd);
    });
    auto conn = ln.accept();
    char buf[8];
    std::size_t n = 0;
    while (std::size_t k = conn.read(buf + n, sizeof buf - n)) n += k;
    got.assign(buf, n);
    peer.join();
  });
  EXPECT_EQ(got, "net");
}

GORO_INSTANTIATE(DeadlockTest, 1, 2);

}  // namespace
