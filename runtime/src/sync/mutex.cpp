// goro::mutex (Go's sync.Mutex with starvation mode).
// X1: waiters_bit is set iff the queue is non-empty; both change only under q_lock_. With
//     waiters_bit or starving_bit set, unlock() cannot take its fast path and goes through
//     q_lock_, so a waiter that queued itself is always seen (no lost wakeup).
// X2: in starving mode, unlock() keeps locked_bit set and hands ownership to the head
//     waiter (waiter::data = &handed); no one else can take the lock meanwhile.
// X3: starving mode ends (as Go's) when the owner it handed the lock to was not starving
//     itself, or no one else waits: it serves the waiters that starved (they queue at the
//     front), then lets newcomers barge again. Ending it only with an empty queue would
//     keep a busy mutex in hand-off mode for good: a wake-up per lock.
// X4: the lock bit is clear while starving_bit is set only between unlock()'s fetch_sub and
//     its unlock_slow() taking q_lock_, which then hands the mutex to the head waiter (X2).
//     A waiter that queues in that window waits for the hand-off, as Go's does ("new
//     arriving goroutines must queue"): only a lock free and not starving is free. Only the
//     waiter the mutex was handed to ends starvation mode (X3), or unlock() when no one
//     else waits; a newcomer never clears a starving bit it did not set.
// X5: the unlock_slow() that hands the mutex off is not always the last owner's: between
//     our fetch_sub and our q_lock_, another locker can take the free mutex (try_lock, not
//     starving yet), run its whole critical section and unlock; a waiter then sets
//     starving_bit, and our unlock_slow() hands the mutex on. Its owner's writes reach the
//     new owner only through state_ (its release fetch_sub), never through q_lock_ or our
//     wake: so the handed waiter acquires state_ itself (as Go's Lock ends in
//     race.Acquire(m) on every path), and the hand-off's fetch_or releases our own writes.
#include <goro/error.hpp>
#include <goro/mutex.hpp>

namespace goro {

namespace {
char handed;  // marker: ownership was handed to this waiter (X2)
}

void mutex::lock_slow() {
  int losses = 0;
  for (;;) {
    // Spin a little (as Go: 4 rounds of 30 pauses): most critical sections are short.
    for (int i = 0; i < 4; ++i) {
      if (try_lock()) return;
      for (int p = 0; p < 30; ++p) __builtin_ia32_pause();
    }
    detail::waiter w;
    q_lock_.lock();
    // Queue first, then look at the lock word (X1): from here on unlock() takes q_lock_.
    const bool front = losses >= 2;  // lost twice after being woken: go first, and starve
    front ? q_.push_front(&w) : q_.push_back(&w);
    std::uint32_t s =
        state_.fetch_or(waiters_bit | (front ? starving_bit : 0), std::memory_order_acq_rel);
    if ((s & (locked_bit | starving_bit)) == 0) {
      // Released before we queued, and not in starvation mode: take ourselves out and
      // compete again. The starving bit, if set, is ours (it was clear before our fetch_or)
      // and goes with us: starving with the lock free would turn every newcomer away (X2
      // holds only while locked); so does waiters_bit if no one else waits (X1).
      q_.remove(&w);
      std::uint32_t clear = (front ? starving_bit : 0) | (q_.empty() ? waiters_bit : 0);
      if (clear) state_.fetch_and(~clear, std::memory_order_relaxed);  // q_lock_ orders it (X1)
      q_lock_.unlock();
      continue;
    }
    // Locked, or free in starvation mode: an unlock() is between its halves and will hand
    // the mutex to the head of the queue (X4). Either way its unlock_slow() sees us (X1).
    w.wait(q_lock_, detail::wait_reason::mutex);  // q_lock_ released after the switch-out
    if (w.data == &handed) {                      // X2: we own it
      // X5. Acquire: pairs with the release fetch_sub of every unlock() before the hand-off
      // (all later changes of state_ are RMWs: they continue its release sequence), and
      // with the hand-off's release fetch_or. The wake alone orders only the unlock_slow()
      // that handed off, which may not be the last owner's.
      (void)state_.load(std::memory_order_acquire);
      if (!front) {  // X3: handed to a waiter that was not starving: back to normal mode
        q_lock_.lock();
        state_.fetch_and(~(starving_bit | (q_.empty() ? waiters_bit : 0)),
                         std::memory_order_relaxed);  // q_lock_ orders it (X1)
        q_lock_.unlock();
      }
      return;
    }
    ++losses;
  }
}

void mutex::unlock_slow(std::uint32_t prev) {
  if ((prev & locked_bit) == 0) {
    // Misuse: undo the subtraction (the word is as it was) and say so.
    state_.fetch_add(locked_bit, std::memory_order_relaxed);
    throw mutex_error("goro: unlock of unlocked mutex");
  }
  // The lock bit is clear already; waiters (or the starving bit) brought us here.
  q_lock_.lock();
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  if (s & locked_bit) {
    // Someone took the lock since our fetch_sub (before a waiter set starving_bit): its
    // unlock will see the waiters (X1) and wake or hand off. Nothing to do here.
    q_lock_.unlock();
    return;
  }
  detail::waiter* w = q_.pop_front();
  const bool empty = q_.empty();
  if (w && (s & starving_bit)) {
    // X2: hand off: set the lock bit again, for the new owner. The lock is free (seen
    // under q_lock_) and stays so: w is queued, so waiters_bit keeps lock()'s CAS from 0
    // failing, and try_lock() refuses while starving_bit is set (it changes only under
    // q_lock_, which we hold).
    // Starvation ends when no one else waits (or, X3, when the new owner was not starving).
    const std::uint32_t clear = empty ? waiters_bit | starving_bit : 0;
    // Release: pairs with the new owner's acquire load of state_ after its wake-up (X5).
    // (Not a fence: ThreadSanitizer ignores fences, and a release fence after a relaxed
    // load never made another unlocker's writes ours.)
    state_.fetch_or(locked_bit, std::memory_order_release);
    if (clear) state_.fetch_and(~clear, std::memory_order_relaxed);  // an RMW: keeps X5's chain
    w->data = &handed;
  } else if (empty) {
    state_.fetch_and(~(waiters_bit | starving_bit), std::memory_order_relaxed);  // X1
  }
  q_lock_.unlock();
  if (w) w->wake();  // W2: after the unlock
}

}  // namespace goro
