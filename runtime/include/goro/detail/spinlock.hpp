// Internal. spinlock: a tiny test-and-test-and-set lock for wait queues.
// S1: it is the lock a parking fiber holds across its switch-out; the scheduler releases it
//     on the other side of the switch, possibly on another thread (invariant 3), so
//     it must be an atomic, never a pthread mutex.
// S2: critical sections are a few instructions (link/unlink a waiter); after a few hundred
//     spins a contender yields its thread (S3: how it spins).
#pragma once

#include <atomic>

#include <goro/detail/thread_safety.hpp>

namespace goro::detail {

// One polite spin-wait step: a pause instruction, or (spins >= 128 into this wait) a
// sched_yield, in case the holder's thread was preempted.
void spin_pause(unsigned spins) noexcept;

class GORO_CAPABILITY("spinlock") spinlock {
 public:
  void lock() noexcept GORO_ACQUIRE() {
    // Pairs with the release store in unlock(): the previous holder's writes are visible.
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    lock_contended();
  }
  bool try_lock() noexcept GORO_TRY_ACQUIRE(true) {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);  // pairs with unlock()
  }
  void unlock() noexcept GORO_RELEASE() {
    locked_.store(false, std::memory_order_release);  // pairs with lock()
  }

 private:
  // S3: a contender backs off exponentially (pauses without touching the lock's line)
  // before it looks again. Looking at once, as a plain test-and-test-and-set does, pulls
  // the line to the waiter's core at every release, so the holder's next lock must pull it
  // back: two cores passing one channel's items then pay two line moves per item. Backed
  // off, the holder usually takes the lock again while the line is still in its cache.
  void lock_contended() noexcept;

  std::atomic<bool> locked_{false};
};

}  // namespace goro::detail
