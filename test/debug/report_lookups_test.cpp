// The reports that end the process walk every fiber as dump() does, and name each code
// address once too: SIGQUIT, the deadlock report, a detached fiber's lost exception. Each
// case in a child process, where every symbol lookup prints "symbol lookup N" (the report
// ends the child before it could report a count); the parent counts those lines. A stack
// overflow's report (overflow.cpp) walks no fiber: it does no lookup.
#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <goro/goro.hpp>
#include <goro/stats.hpp>

#include "debug/fatal.hpp"
#include "debug/unwind.hpp"
#include "goro_test.hpp"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class ReportLookupsDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

constexpr int parked_fibers = 300;
// Two places (the workers' and main's), each at most 64 frames and a spawn site.
constexpr int two_places = 2 * (64 + 1);

void print_lookup(std::uint64_t count) {
  char buf[64];
  auto r = fmt::format_to_n(buf, sizeof buf, "symbol lookup {}\n", count);
  goro::detail::write_stderr(buf, r.size);
}

// The child's stderr printed at least one lookup and at most `n`.
MATCHER_P(LooksUpAtMost, n, "") {
  const std::string needle = "symbol lookup ";
  int count = 0;
  for (auto at = arg.find(needle); at != std::string::npos; at = arg.find(needle, at + 1)) ++count;
  *result_listener << count << " symbol lookups";
  return count >= 1 && count <= n;
}

[[gnu::noinline]] void wait_for_work(goro::chan<int> work) {
  work.recv();
  std::fflush(stdout);  // after the receive: not a tail call
}

// `parked_fibers` fibers parked in wait_for_work, from a fiber or a plain thread.
void park_workers(goro::chan<int> work) {
  for (int i = 0; i < parked_fibers; ++i)
    goro::go({.name = "worker"}, [work] { wait_for_work(work); });
}

void until_workers_parked() {
  while (goro::stats().fibers_parked < parked_fibers) std::this_thread::yield();
}

TEST_F(ReportLookupsDeathTest, SigquitDumpLooksUpEachAddressOnce) {
  EXPECT_EXIT(
      {
        goro::detail::on_symbol_lookup(print_lookup);
        goro::start({.procs = 2});
        goro::chan<int> work(0);
        park_workers(work);
        until_workers_parked();
        std::raise(SIGQUIT);
        for (;;) ::pause();  // the runtime's SIGQUIT thread ends the process
      },
      ::testing::ExitedWithCode(2),
      AllOf(HasSubstr(fmt::format("goro: {} fibers\n", parked_fibers)), HasSubstr("wait_for_work"),
            LooksUpAtMost(two_places)));
}

TEST_F(ReportLookupsDeathTest, DeadlockReportLooksUpEachAddressOnce) {
  EXPECT_EXIT(
      {
        goro::detail::on_symbol_lookup(print_lookup);
        goro::run({.procs = 2}, [] {
          goro::chan<int> work(0);
          park_workers(work);
          work.recv();  // nobody sends: every fiber asleep
        });
      },
      ::testing::ExitedWithCode(2),
      AllOf(HasSubstr("fatal error: all fibers are asleep - deadlock!"), HasSubstr("wait_for_work"),
            LooksUpAtMost(two_places)));
}

TEST_F(ReportLookupsDeathTest, LostExceptionReportLooksUpEachAddressOnce) {
  EXPECT_DEATH(
      {
        goro::detail::on_symbol_lookup(print_lookup);
        goro::start({.procs = 2});
        goro::chan<int> work(0);
        park_workers(work);
        until_workers_parked();
        goro::go({.name = "thrower"}, [] { throw std::runtime_error("nobody joins"); });
        for (;;) ::pause();  // the lost exception ends the process
      },
      AllOf(HasSubstr("(thrower) ended with an unhandled exception"), HasSubstr("wait_for_work"),
            LooksUpAtMost(two_places)));
}

}  // namespace
