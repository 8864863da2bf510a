// Internal. timer_heap: a processor's timers (Go's per-P timer heap), a 4-ary min-heap on
// `when`. Timers live in their owners' memory (a sleeping fiber's stack): adding one
// allocates only when the heap's array grows.
// T1: the heap is changed only under lock_; next_ mirrors the earliest `when` so that
//     machines can poll it without the lock (a stale read only delays or repeats a check).
// T2: a sleeper adds its timer and parks with lock_ held, released after its switch-out
//     (invariant 1): the timer cannot fire before the fiber is parked.
// T3: a timer popped to fire is `firing` until its fire() stores `idle` (release), after
//     its last access to the timer and before it wakes anyone; remove() waits for that, so
//     a timer's owner may free it as soon as remove() returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <vector>

#include <goro/detail/spinlock.hpp>

namespace goro::detail {

inline constexpr std::int64_t no_deadline = std::numeric_limits<std::int64_t>::max();

struct timer {
  enum : std::uint8_t { idle, queued, firing };
  std::int64_t when = 0;              // CLOCK_MONOTONIC ns
  void (*fire)(timer*) = nullptr;     // called on the machine that runs the heap, lock_ free;
                                      // ends the timer's use with done() (T3)
  std::size_t index = 0;              // position in the heap while queued (lock_)
  std::atomic<std::uint8_t> state{idle};

  // For fire(): the timer is no longer used (T3). Pairs with the acquire in wait_fired().
  void done() { state.store(idle, std::memory_order_release); }
  // For the owner: returns once no fire() of this timer is in progress (T3); after it, the
  // timer may be freed unless it is queued again.
  void wait_fired() const {
    for (unsigned spins = 0; state.load(std::memory_order_acquire) == firing; ++spins)
      spin_pause(spins);
  }
};

class timer_heap {
 public:
  spinlock& lock() { return lock_; }

  // lock_ held.
  void push(timer* t);
  // Takes t out of the heap if it is still queued (true); else waits until its fire() is
  // done with it (T3) and returns false. Takes lock_.
  bool remove(timer* t);
  // Takes t out of the heap if it is still queued (true); never waits: false if it is
  // being fired (or idle). For owners that arbitrate with fire() by a lock of their own.
  bool cancel(timer* t);
  // Earliest deadline, without the lock (T1).
  std::int64_t next() const { return next_.load(std::memory_order_acquire); }
  // Pops every timer due at `now` and fires it; returns how many fired. Takes lock_
  // (or gives up if `try_only` and it is busy).
  int run_expired(std::int64_t now, bool try_only = false);
  std::size_t size() const;

 private:
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  timer* pop();  // lock_ held
  void erase_at(std::size_t i);  // lock_ held
  void place(std::size_t i, timer* t) {
    heap_[i] = t;
    t->index = i;
  }

  mutable spinlock lock_;
  std::vector<timer*> heap_;  // guarded by lock_
  // Release store under lock_ pairs with the acquire load in next().
  std::atomic<std::int64_t> next_{no_deadline};
};

}  // namespace goro::detail
