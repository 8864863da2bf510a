// Internal. spinlock: a tiny test-and-test-and-set lock for wait queues.
// S1: it is the lock a parking fiber holds across its switch-out; the scheduler releases it
//     on the other side of the switch, possibly on another thread (DESIGN invariant 3), so
//     it must be an atomic, never a pthread mutex.
// S2: critical sections are a few instructions (link/unlink a waiter); after a few hundred
//     spins a contender yields its thread.
#pragma once

#include <atomic>

namespace goro::detail {

// One polite spin-wait step: a pause instruction, or (spins >= 128 into this wait) a
// sched_yield, in case the holder's thread was preempted.
void spin_pause(unsigned spins) noexcept;

class spinlock {
 public:
  void lock() noexcept {
    // Pairs with the release store in unlock(): the previous holder's writes are visible.
    while (locked_.exchange(true, std::memory_order_acquire)) {
      // Read-only wait: no cache-line ping-pong while the lock is held.
      for (unsigned spins = 0; locked_.load(std::memory_order_relaxed); ++spins)
        spin_pause(spins);
    }
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);  // pairs with unlock()
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }  // pairs with lock()

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace goro::detail
