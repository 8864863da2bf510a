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
  // (Go's rule: a positive add() that starts a new round must not race with the wait()s of
  // the round ending.)
  void done() { add(-1); }  // lowers it; at zero it wakes every waiter
  void wait();              // returns at zero. A scheduling point.
  // Returns true at zero, or false as soon as a stop is requested on st (at once if it
  // already was and the count is not zero).
  bool wait(std::stop_token st);

 private:
  // WG1: state_ holds the count (high 32 bits, signed) and the number of registered waiters
  //      (low 32 bits) in one word, as Go's WaitGroup does. A waiter registers with a CAS
  //      only while the count is above zero, and a registered waiter never returns before
  //      the add() that brings the count to zero has handed it its release (a wake-up or a
  //      token), so that add() never touches a wait_group its waiters have freed: the add()
  //      that reaches zero with no waiter registered touches nothing after its RMW.
  // WG2: a waiter stopped by its stop_token unregisters (CAS, waiters - 1) only while the
  //      count is above zero; once an add() has reached zero, it is released like the rest.
  std::atomic<std::uint64_t> state_{0};
  detail::spinlock lock_;
  // Guarded by lock_: the queued waiters (a queued waiter's `data` is non-null until it is
  // dequeued), and the releases for waiters that registered but had not queued yet when
  // add() reached zero (they take one instead of queueing).
  detail::waiter_fifo waiters_ GORO_GUARDED_BY(lock_);
  std::uint32_t released_ GORO_GUARDED_BY(lock_) = 0;

  bool wait_impl(std::stop_token* st);
};

}  // namespace goro
