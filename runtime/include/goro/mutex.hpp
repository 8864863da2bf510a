// goro::mutex: Go's sync.Mutex. lock() parks a fiber (blocks a plain thread) while another
// holds it. Meets the standard Lockable requirements: std::lock_guard, std::unique_lock and
// std::scoped_lock work. Not recursive. Safe from any fiber or thread; a fiber may unlock a
// mutex locked by another fiber, as in Go.
// Fairness (Go's starvation mode): normally a releasing owner lets newcomers barge in
// (throughput); a waiter that loses the race twice switches the mutex to hand-off mode, in
// which unlock() passes ownership straight to the longest waiter, until no one waits.
// Memory ordering: what an owner did before unlock() is visible to the next owner.
// Misuse: unlock of an unlocked mutex throws goro::mutex_error.
//
//   goro::mutex mu;
//   long counter = 0;
//   for (int i = 0; i < 100; ++i) goro::go([&] { std::lock_guard g(mu); ++counter; });
#pragma once

#include <atomic>
#include <cstdint>

#include <goro/detail/fiber_api.hpp>

namespace goro {

namespace detail {
struct mutex_test_peer;  // the lock word and unlock()'s two halves, for tests
}  // namespace detail

class mutex {
 public:
  mutex() = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock() {
    std::uint32_t unlocked = 0;
    // Acquire: pairs with the release in unlock(); the previous owner's writes are visible.
    if (!state_.compare_exchange_strong(unlocked, locked_bit, std::memory_order_acquire,
                                        std::memory_order_relaxed))
      lock_slow();
  }
  bool try_lock() noexcept {
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    return (s & (locked_bit | starving_bit)) == 0 &&
           state_.compare_exchange_strong(s, s | locked_bit, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void unlock() {
    // Release: pairs with the acquire CAS in lock()/try_lock(). One RMW, as Go's Unlock;
    // any other bit (waiters, starving, or no lock bit: misuse) takes the slow path.
    const std::uint32_t prev = state_.fetch_sub(locked_bit, std::memory_order_release);
    if (prev != locked_bit) [[unlikely]]
      unlock_slow(prev);
  }

 private:
  friend struct detail::mutex_test_peer;
  static constexpr std::uint32_t locked_bit = 1, waiters_bit = 2, starving_bit = 4;
  void lock_slow();
  void unlock_slow(std::uint32_t prev);

  std::atomic<std::uint32_t> state_{0};
  detail::spinlock q_lock_;  // guards the queue below
  detail::waiter_fifo q_;    // waiters_bit <=> non-empty (X1)
};

}  // namespace goro
