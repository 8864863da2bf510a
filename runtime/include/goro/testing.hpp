// goro::testing: run a test on a deterministic scheduler (Go's testing/synctest).
//
// goro::testing::run(opts, fn) starts the runtime in its deterministic mode, runs fn as the
// fiber "main" (as goro::run does), waits for it and shuts the runtime down:
//   - one processor, and at every scheduling point the next fiber is chosen at random among
//     the runnable ones, from options.seed: the same seed gives the same interleaving and
//     the same output on every run; another seed gives another interleaving;
//   - a virtual clock (goro::now()): it stands still while fibers run, and when every fiber
//     waits and only a timer can wake one, it jumps to the next timer. Sleeps, timer
//     channels, select timeouts and context deadlines use it: an hour of sleeps takes no
//     time. Socket deadlines stay in real time.
//   - with options.migrate, every fiber resumes on another OS thread than the one it
//     stopped on, at every scheduling point: code that keeps a thread_local's address, a
//     thread id or a std::mutex across a park, a channel operation or a yield breaks at once
//     instead of once in a while.
// The clock jumps only when nothing else can wake a fiber: no fiber inside goro::blocking,
// no plain thread declared by goro::active_thread or waiting with a deadline, no socket
// ready. Until then the machine waits in real time, as synctest waits for goroutines outside
// its bubble. Fibers spawned by plain threads while the test runs, and I/O from other
// processes, are not replayed in the same order: keep them out of a deterministic test.
// When every fiber waits and no timer is pending, the deadlock report of goro::run ends the
// process. The runtime must not be running (goro::runtime_error); options are checked
// (goro::option_error). Fibers still alive when fn returns are abandoned, as with goro::run.
//
//   TEST(Cache, ExpiresAfterAnHour) {
//     goro::testing::run({.seed = 7}, [] {
//       cache c(std::chrono::hours(1));
//       c.put("k", 1);
//       goro::this_fiber::sleep_for(std::chrono::minutes(61));  // instant
//       EXPECT_FALSE(c.get("k"));
//     });
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include <goro/clock.hpp>
#include <goro/run.hpp>

namespace goro::testing {

struct options {
  // The interleaving: nonzero. The same seed replays the same run.
  std::uint64_t seed = 1;
  // Resume every fiber on another OS thread at every scheduling point.
  bool migrate = false;
  // The main fiber's stack and the default of the others, as options::stack_size.
  std::size_t stack_size = 0;
};

}  // namespace goro::testing

namespace goro::detail {
void start_deterministic(const testing::options& opts);
}  // namespace goro::detail

namespace goro::testing {

template <class F>
int run(const options& opts, F&& fn) {
  detail::start_deterministic(opts);
  return detail::run_main(opts.stack_size, fn);
}

template <class F>
int run(F&& fn) {
  return run(options{}, std::forward<F>(fn));
}

// From a fiber of run(): returns once every other fiber is parked and could only be woken
// by the caller, by a timer that is not due yet, or not at all (Go's synctest.Wait). The
// clock does not move meanwhile. Use it to let servers, workers and pipelines settle before
// checking their state, without a sleep. Throws goro::runtime_error anywhere else.
//
//   requests.send(req);
//   goro::testing::wait();           // the server has taken it and is waiting again
//   EXPECT_EQ(server_state.handled, 1);
void wait();

}  // namespace goro::testing
