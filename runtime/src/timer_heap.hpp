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
// T4: a queued timer is due before no_deadline: push() clamps `when` to `never`, so that
//     next() == no_deadline means an empty heap, and a timer due "never" (a saturated
//     deadline) stays pending (the deadlock report stays silent, as Go's checkdead) without
//     ever coming due. deadline_after() saturates a duration to `never`.
// T5: a heap outlives its processor: at shutdown retire() detaches every queued timer
//     (state `detached`: it never fires) and keeps the heap for a later processor
//     (acquire()); heaps are never freed. So an owner's heap pointer is always a heap, and
//     remove()/cancel() of a detached timer report it taken out without touching the heap's
//     array (which may hold another run's timers by then).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <vector>

#include <goro/detail/spinlock.hpp>
#include <goro/detail/timer_api.hpp>

namespace goro::detail {

class timer_heap {
 public:
  // A heap for a new processor: a retired one if any, else a new one (T5).
  static timer_heap& acquire();
  // A deleted processor's heap, every machine joined (shutdown): detaches its timers and
  // keeps it for acquire() (T5).
  static void retire(timer_heap& h);

  spinlock& lock() GORO_RETURN_CAPABILITY(lock_) { return lock_; }

  // Clamps t->when to `never` (T4).
  void push(timer* t) GORO_REQUIRES(lock_);
  // Takes t out of the heap if it is still queued, or detached by a shutdown (T5) (true);
  // else waits until its fire() is done with it (T3) and returns false. Takes lock_.
  bool remove(timer* t);
  // Takes t out of the heap if it is still queued, or detached (true); never waits: false
  // if it is being fired (or idle). For owners that arbitrate with fire() by a lock of
  // their own.
  bool cancel(timer* t);
  // Earliest deadline, without the lock (T1).
  std::int64_t next() const { return next_.load(std::memory_order_acquire); }
  // Pops every timer due at `now` and fires it; returns how many fired. Takes lock_
  // (or gives up if `try_only` and it is busy).
  int run_expired(std::int64_t now, bool try_only = false);
  std::size_t size() const;

 private:
  void sift_up(std::size_t i) GORO_REQUIRES(lock_);
  void sift_down(std::size_t i) GORO_REQUIRES(lock_);
  timer* pop() GORO_REQUIRES(lock_);
  void erase_at(std::size_t i) GORO_REQUIRES(lock_);
  void place(std::size_t i, timer* t) GORO_REQUIRES(lock_) {
    heap_[i] = t;
    t->index = i;
  }

  mutable spinlock lock_;
  std::vector<timer*> heap_ GORO_GUARDED_BY(lock_);
  // Release store under lock_ pairs with the acquire load in next().
  std::atomic<std::int64_t> next_{no_deadline};
};

}  // namespace goro::detail
