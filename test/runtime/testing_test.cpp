// goro::testing: one seed, one interleaving (and one flight-recorder trace); another seed,
// another interleaving; a virtual clock that makes an hour of timers take no time; and the
// migrate mode that resumes every fiber on another thread.
#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <goro/context.hpp>
#include <goro/scope.hpp>
#include <goro/select.hpp>
#include <goro/testing.hpp>
#include <goro/trace.hpp>

#include "goro_test.hpp"
#include "json_lite.hpp"

namespace {

using namespace std::chrono_literals;

// What one run of the program did: the order of its steps, as each fiber logged them, and
// the scheduler's own record of it (run slices and instants from the flight recorder, with
// fiber ids renumbered by first appearance, so that runs in one process compare).
struct outcome {
  std::string log;
  std::vector<std::string> trace;
};

// Normalizes the recorded trace: event names in time order, "fiber N" renamed.
std::vector<std::string> trace_steps(const std::string& json) {
  auto root = goro_test::json::parse(json);
  std::map<long, int> renumber;
  auto fiber_index = [&](double id) {
    auto [it, fresh] = renumber.emplace(static_cast<long>(id), static_cast<int>(renumber.size()));
    (void)fresh;
    return it->second;
  };
  std::vector<std::string> steps;
  for (const auto& e : root["traceEvents"].arr()) {
    const std::string ph = e["ph"].str();
    if (ph == "M") continue;  // track names
    std::string step = e["cat"].str() == "run" ? std::string("run") : e["name"].str();
    if (e["args"].has("fiber"))
      step += " f" + std::to_string(fiber_index(e["args"]["fiber"].num()));
    if (e["args"].has("end")) step += " " + e["args"]["end"].str();
    if (e["args"].has("reason")) step += " " + e["args"]["reason"].str();
    steps.push_back(step);
  }
  return steps;
}

// Six workers take turns on a mutex, a buffered channel (with a select that times out),
// yields and short sleeps; each logs
// its letter at every step. The order of the letters is the interleaving.
outcome workers_program(std::uint64_t seed, bool migrate = false) {
  outcome out;
  goro::testing::run({.seed = seed, .migrate = migrate}, [&] {
    goro::trace::start();
    goro::mutex mu;
    goro::chan<int> tokens(2);
    goro::wait_group wg;
    constexpr int workers = 6, steps = 25;
    wg.add(workers);
    for (int w = 0; w < workers; ++w) {
      goro::go([&, w] {
        for (int i = 0; i < steps; ++i) {
          {
            std::lock_guard g(mu);
            out.log += static_cast<char>('a' + w);
          }
          switch ((w + i) % 4) {
            case 0:
              goro::this_fiber::yield();
              break;
            case 1:
              (void)tokens.try_send(i);
              break;
            case 2:
              goro::select(goro::recv(tokens), goro::timeout(2ms));
              break;
            case 3:
              goro::this_fiber::sleep_for(1ms);
              break;
          }
        }
        wg.done();
      });
    }
    wg.wait();
    std::ostringstream json;
    goro::trace::write(json);
    goro::trace::stop();
    out.trace = trace_steps(json.str());
  });
  return out;
}

TEST(DeterministicTest, OneSeedGivesOneInterleavingAndOneTrace) {
  const outcome a = workers_program(11);
  const outcome b = workers_program(11);
  ASSERT_EQ(a.log.size(), 6u * 25u);
  EXPECT_EQ(a.log, b.log);
  ASSERT_GE(a.trace.size(), 75u);  // at least a run slice per yield and per sleep
  EXPECT_EQ(a.trace, b.trace);
}

TEST(DeterministicTest, AnotherSeedGivesAnotherInterleaving) {
  const outcome a = workers_program(11);
  const outcome c = workers_program(12);
  ASSERT_EQ(c.log.size(), a.log.size());
  EXPECT_NE(a.log, c.log);
  EXPECT_NE(a.trace, c.trace);
  // The same steps, only in another order.
  EXPECT_EQ(std::count(a.log.begin(), a.log.end(), 'c'),
            std::count(c.log.begin(), c.log.end(), 'c'));
}

TEST(DeterministicTest, AnHourOfTimersTakesNoTime) {
  const auto wall0 = std::chrono::steady_clock::now();
  std::string order;
  std::chrono::steady_clock::duration elapsed{}, still{};
  int ticks = 0;
  bool select_timed_out = false, context_expired = false;
  goro::testing::run({.seed = 3}, [&] {
    const auto t0 = goro::now();
    // Time stands still while fibers run.
    volatile long sum = 0;
    for (long i = 0; i < 1'000'000; ++i) sum = sum + i;
    still = goro::now() - t0;

    goro::scope s;
    for (int i = 5; i >= 1; --i) {  // spawned last-first; must wake first-first
      s.spawn([&, i] {
        goro::this_fiber::sleep_for(std::chrono::minutes(10 * i));
        order += static_cast<char>('0' + i);
      });
    }
    s.spawn([&] {  // a ticker: one tick a minute for an hour
      goro::ticker t(1min);
      while (ticks < 60) {
        (void)t.c().recv();
        ++ticks;
      }
      t.stop();
    });
    s.spawn([&] {
      goro::chan<int> never(0);
      goro::select(goro::recv(never), goro::timeout(30min, [&] { select_timed_out = true; }));
    });
    s.spawn([&] {
      auto [ctx, cancel] = goro::with_timeout(goro::context::background(), 1h);
      (void)ctx.done().recv();
      context_expired = ctx.err() == goro::context_error::deadline_exceeded;
    });
    s.wait();
    elapsed = goro::now() - t0;
  });
  EXPECT_EQ(still, std::chrono::steady_clock::duration::zero());
  EXPECT_EQ(order, "12345");
  EXPECT_EQ(ticks, 60);
  EXPECT_TRUE(select_timed_out);
  EXPECT_TRUE(context_expired);
  EXPECT_EQ(elapsed, std::chrono::hours(1));  // the last timer: the context's deadline
  // Not a timing test: an hour of real sleeps would hit ctest's timeout long before; this
  // bound only makes the claim explicit (a minute of real time for an hour of virtual).
  EXPECT_LT(std::chrono::steady_clock::now() - wall0, std::chrono::minutes(1));
}

// The README's example.
TEST(DeterministicTest, AContextExpiresOnTheVirtualClock) {
  bool before = true, after = false;
  goro::testing::run({.seed = 7}, [&] {
    auto [ctx, cancel] = goro::with_timeout(goro::context::background(), std::chrono::hours(1));
    goro::this_fiber::sleep_for(std::chrono::minutes(59));
    before = ctx.is_done();
    goro::this_fiber::sleep_for(std::chrono::minutes(2));
    after = ctx.is_done();
  });
  EXPECT_FALSE(before);
  EXPECT_TRUE(after);
}

thread_local int tls_marker = 0;

// Not inlined, and with a compiler barrier: pthread_self() is declared const and a
// thread_local's address is computed once per function, so the compiler may keep either
// across a scheduling point, which is the very mistake the migrate mode exposes in user code.
[[gnu::noinline]] int thread_now() {
  asm volatile("" ::: "memory");
  return static_cast<int>(::gettid());
}
[[gnu::noinline]] const int* tls_address() {
  const int* p = &tls_marker;
  asm volatile("" : "+r"(p) : : "memory");  // opaque: LLVM 14 folds a TLS address across calls
  return p;
}

// Each fiber notes the thread it runs on (and the address of a thread_local) before and
// after each of its scheduling points: yields, sleeps, and yields while holding a
// goro::mutex (which others then wait for). Returns how many resumes were on the same thread.
int same_thread_resumes(bool migrate, int& resumes) {
  int same = 0;
  resumes = 0;
  goro::testing::run({.seed = 5, .migrate = migrate}, [&] {
    goro::mutex mu;
    goro::scope s;
    for (int w = 0; w < 3; ++w) {
      s.spawn([&, w] {
        for (int i = 0; i < 30; ++i) {
          // A lock may park too: held first, so that the yield is the one point measured.
          std::unique_lock g(mu, std::defer_lock);
          if ((w + i) % 3 == 2) g.lock();
          const int tid = thread_now();
          const int* tls = tls_address();
          if ((w + i) % 3 == 1) {
            goro::this_fiber::sleep_for(1ms);
          } else {
            goro::this_fiber::yield();  // others wait for mu meanwhile in case 2
          }
          const bool same_place = thread_now() == tid;
          EXPECT_EQ(same_place, tls_address() == tls);
          same += same_place ? 1 : 0;
          ++resumes;
        }
      });
    }
    s.wait();
  });
  return same;
}

TEST(DeterministicTest, MigrateModeResumesEveryFiberOnAnotherThread) {
  int resumes = 0;
  EXPECT_EQ(same_thread_resumes(true, resumes), 0);
  EXPECT_EQ(resumes, 3 * 30);
}

TEST(DeterministicTest, WithoutMigrateOneProcessorKeepsOneThread) {
  int resumes = 0;
  EXPECT_EQ(same_thread_resumes(false, resumes), 3 * 30);
  EXPECT_EQ(resumes, 3 * 30);
}

TEST(DeterministicTest, MigrateModeIsDeterministicToo) {
  EXPECT_EQ(workers_program(21, true).log, workers_program(21, true).log);
}

TEST(DeterministicTest, BadUseIsRejected) {
  EXPECT_THROW(goro::testing::run({.seed = 0}, [] {}), goro::option_error);
  goro::start({.procs = 1});
  EXPECT_THROW(goro::testing::run({.seed = 1}, [] {}), goro::runtime_error);
  goro::shutdown();
  // And the runtime is usable normally after a deterministic run: real time again.
  goro::testing::run({.seed = 1}, [] { goro::this_fiber::sleep_for(1h); });
  goro::start({.procs = 2});
  const auto t0 = goro::now();
  goro::spawn([] { goro::this_fiber::sleep_for(1ms); }).join();
  EXPECT_LT(goro::now() - t0, 1h);
  EXPECT_GE(goro::now() - t0, 1ms);
  goro::shutdown();
}

TEST(DeterministicDeathTest, EveryFiberBlockedWithNoTimerIsADeadlock) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(goro::testing::run({.seed = 1},
                                 [] {
                                   goro::chan<int> c(0);
                                   goro::this_fiber::sleep_for(1h);  // the clock jumps first
                                   (void)c.recv();                   // then nothing can wake it
                                 }),
              ::testing::ExitedWithCode(2), "all fibers are asleep - deadlock!");
}

}  // namespace

namespace {

// testing::wait(): a server fiber settles after each request; the test reads its state
// with no synchronisation of its own, and the clock has not moved.
TEST(DeterministicTest, WaitLetsEveryOtherFiberSettle) {
  goro::testing::run({.seed = 9}, [] {
    goro::chan<int> requests(0);
    int handled = 0, sum = 0;
    bool slept = false;
    auto server = goro::spawn([&] {
      for (int v : requests) {
        goro::this_fiber::yield();  // some work in steps
        sum += v;
        ++handled;
      }
    });
    auto sleeper = goro::spawn([&] {
      goro::this_fiber::sleep_for(std::chrono::hours(1));
      slept = true;
    });
    const auto t0 = goro::now();
    for (int i = 1; i <= 3; ++i) {
      requests.send(i);
      goro::testing::wait();
      EXPECT_EQ(handled, i);
    }
    EXPECT_EQ(sum, 6);
    EXPECT_FALSE(slept);         // a timer that is not due does not count as work
    EXPECT_EQ(goro::now(), t0);  // and the clock did not move
    requests.close();
    goro::testing::wait();
    sleeper.join();  // now the clock jumps
    EXPECT_TRUE(slept);
    EXPECT_EQ(goro::now() - t0, std::chrono::hours(1));
    server.join();
  });
}

TEST(DeterministicTest, WaitOutsideATestingRunIsAnError) {
  EXPECT_THROW(goro::testing::wait(), goro::runtime_error);  // a plain thread
  goro::start({.procs = 1});
  EXPECT_THROW(goro::spawn([] { goro::testing::wait(); }).join(), goro::runtime_error);
  goro::shutdown();
}

}  // namespace
