// goro::wait_group: Go's sync.WaitGroup. add() raises a count, done() lowers it, wait()
// returns at zero. Waiting parks a fiber (a plain thread blocks on a futex).
// Safe from any fiber or thread.
// Memory ordering: what a fiber did before done() is visible after wait() returns.
// Misuse: a negative count throws goro::wait_group_error.
// wait(stop_token) gives up when a stop is requested (goro::context::stop_token() gives one
// that is stopped when the context ends).
//
//   goro::wait_group wg;
//   wg.add(std::ssize(jobs));
//   for (auto& j : jobs) goro::go([&] { run(j); wg.done(); });
//   wg.wait();
#pragma once

#include <atomic>
#include <cstdint>
#include <stop_token>

#include <goro/detail/fiber_api.hpp>

namespace goro {

class wait_group {
 public:
  wait_group() = default;
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;

  void add(std::int64_t n = 1);  // raises (or, negative, lowers) the count
  void done() { add(-1); }       // lowers it; at zero it wakes every waiter
  void wait();                   // returns at zero. A scheduling point.
  // Returns true at zero, or false as soon as a stop is requested on st (at once if it
  // already was and the count is not zero).
  bool wait(std::stop_token st);

 private:
  std::atomic<std::int64_t> count_{0};
  detail::spinlock lock_;
  // Guarded by lock_. A queued waiter's `data` is non-null; add() clears it when it takes
  // the queue, so that a stop callback knows whether the waiter is still queued.
  detail::waiter_fifo waiters_;
};

}  // namespace goro
