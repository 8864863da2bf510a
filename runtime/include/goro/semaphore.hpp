// goro::semaphore: a weighted semaphore (Go's golang.org/x/sync/semaphore.Weighted); with
// weights of 1 it is a counting semaphore. acquire(n) waits until n units are free.
// Waiters are served in FIFO order: a large request is not starved by small ones (and
// holds back later small ones, as in Go). Safe from any fiber or thread.
// Memory ordering: what a fiber did before release() is visible to the acquirer it admits.
// Misuse: acquire(n) with n > capacity, or releasing more than is held, throws
// goro::semaphore_error.
//
//   goro::semaphore slots(4);                 // at most 4 downloads at once
//   for (auto& url : urls) goro::go([&] { slots.acquire(); fetch(url); slots.release(); });
#pragma once

#include <cstdint>

#include <goro/detail/fiber_api.hpp>

namespace goro {

class semaphore {
 public:
  explicit semaphore(std::int64_t capacity);
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  void acquire(std::int64_t n = 1);      // a scheduling point when it waits
  bool try_acquire(std::int64_t n = 1);  // never waits
  void release(std::int64_t n = 1);      // admits waiters in FIFO order

 private:
  detail::spinlock lock_;
  const std::int64_t capacity_;
  std::int64_t held_ GORO_GUARDED_BY(lock_) = 0;
  detail::waiter_fifo waiters_ GORO_GUARDED_BY(lock_);  // waiter::data -> its request
};

}  // namespace goro
