// goro::shared_mutex (Go's sync.RWMutex, with a writer sequence instead of Go's semaphores).
// RW1: state_ = readers (bits 0-31) | writers_queued (bit 32) | writer sequence (bits 33-63);
//      the sequence is odd while a writer is present. writers_queued is set iff writers_ is
//      non-empty (both change only under lock_), and only while a writer is present.
// RW2: readers = holders + pending readers (those whose lock_shared() increment saw a writer
//      present). With no writer present there are no pending readers: readers = holders.
// RW3: while a writer is present, the holders are exactly departing_ (guarded by lock_); the
//      writer owns the lock once departing_ is 0, and until then waits as drainer_.
// RW4: a writer's release admits every pending reader at once: the sequence moves on and the
//      readers field stays, so each pending reader is now a holder. Parked ones are woken; one
//      still on its way to lock_ sees the sequence differ from the one its increment saw (a
//      31-bit sequence: a reader would have to stall for 2^30 writers to be fooled). With
//      writers queued, the same CAS hands the head writer the claim (sequence +2), and the
//      readers just admitted are its departing_: they get in first, later readers wait.
// RW5: no lost wakeup: every waiter queues under lock_ after reading state_ there, and every
//      change that must find a waiter (a writer's release, the last departing reader) runs
//      under lock_. The fast paths skip lock_ only when no one can be queued for them:
//      unlock() with no reader pending and no writer queued, unlock_shared() with no writer.
// Misuse is detected before any change: state_ and the fields of RW3 stay as they were.
#include <utility>

#include <goro/error.hpp>
#include <goro/shared_mutex.hpp>

namespace goro {

void shared_mutex::throw_unlock_shared() {
  throw mutex_error("goro: unlock_shared of a shared_mutex no reader holds");
}

// Any fiber or thread.
void shared_mutex::lock_slow() {
  detail::waiter w;
  lock_.lock();
  // Relaxed: a failed CAS below reloads; the acquire is on the CAS that claims.
  std::uint64_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & writer_one) {
      // Another writer is present: queue behind it (RW1: the bit with the check, in one CAS,
      // so its unlock() cannot take the fast path past us). Relaxed: we are woken as the
      // owner, and the wake orders the previous owner's writes for us.
      if ((s & writers_queued_bit) ||
          state_.compare_exchange_weak(s, s | writers_queued_bit, std::memory_order_relaxed)) {
        writers_.push_back(&w);
        w.wait(lock_, detail::wait_reason::rwmutex_lock);  // woken as the owner (RW4, RW3)
        return;
      }
      continue;  // s reloaded
    }
    // No writer: claim it. Acquire: pairs with the release RMWs of the readers that left
    // before (and of the last writer's release).
    if (state_.compare_exchange_weak(s, s + writer_one, std::memory_order_acquire,
                                     std::memory_order_relaxed))
      break;
  }
  const auto holders = static_cast<std::uint32_t>(s & readers_mask);  // RW2: no one pending
  if (holders == 0) {
    lock_.unlock();
    return;
  }
  departing_ = holders;  // RW3: new readers now see the writer and wait
  drainer_ = &w;
  w.wait(lock_, detail::wait_reason::rwmutex_lock);  // woken by the last one to leave
}

// Any fiber or thread.
void shared_mutex::unlock_slow() {
  lock_.lock();
  std::uint64_t s = state_.load(std::memory_order_relaxed);  // relaxed: the CAS decides
  detail::waiter* next = nullptr;
  for (;;) {
    if ((s & writer_one) == 0 || drainer_) {  // no writer, or one still waiting for readers
      lock_.unlock();
      throw mutex_error("goro: unlock of a shared_mutex that is not write-locked");
    }
    std::uint64_t to = s + writer_one;  // release: pending readers become holders (RW4)
    next = writers_.front();
    if (next) {
      to += writer_one;  // ...and the head writer claims it in the same step (RW4)
      if (next->next == nullptr) to -= writers_queued_bit;  // the last one queued (RW1)
    }
    // Release: pairs with the acquire RMW of the readers' lock_shared() and of the next
    // claim; the admitted readers that wait on lock_ are ordered by it too.
    if (state_.compare_exchange_weak(s, to, std::memory_order_release, std::memory_order_relaxed))
      break;
  }
  detail::waiter* admitted = readers_.take_all();
  bool next_owns = false;
  if (next) {
    writers_.pop_front();
    const auto holders = static_cast<std::uint32_t>(s & readers_mask);
    if (holders == 0) {
      next_owns = true;
    } else {
      departing_ = holders;  // RW3: it waits until the readers just admitted leave
      drainer_ = next;
    }
  }
  lock_.unlock();
  detail::wake_all(admitted);  // W2: after the unlock
  if (next_owns) next->wake();
}

// Any fiber or thread. `seen`: state_ before our increment; a writer was present.
void shared_mutex::lock_shared_slow(std::uint64_t seen) {
  detail::waiter w;
  lock_.lock();
  // Relaxed: a release by that writer happened under lock_, which orders it for us.
  std::uint64_t s = state_.load(std::memory_order_relaxed);
  // The sequence (bits 33-63) moved on: the writer we saw has released, we were admitted (RW4).
  if (((s ^ seen) & ~(writer_one - 1)) != 0) {
    lock_.unlock();
    return;
  }
  readers_.push_back(&w);
  w.wait(lock_, detail::wait_reason::rwmutex_rlock);  // woken admitted (RW4)
}

// Any fiber or thread; the fast path saw a writer present.
void shared_mutex::unlock_shared_slow() {
  lock_.lock();
  std::uint64_t s = state_.load(std::memory_order_relaxed);  // relaxed: under lock_
  if ((s & writer_one) == 0) {
    // The writer released meanwhile: the readers field counts holders again (RW2).
    lock_.unlock();
    unlock_shared();
    return;
  }
  if (departing_ == 0) {  // RW3: pending readers do not hold it; nor does anyone else
    lock_.unlock();
    throw_unlock_shared();
  }
  // Release: pairs with the acquire claim of a later writer (through lock_ and the wake for
  // the present one).
  state_.fetch_sub(reader_one, std::memory_order_release);
  detail::waiter* owner = nullptr;
  if (--departing_ == 0) owner = std::exchange(drainer_, nullptr);  // keeps RW3
  lock_.unlock();
  if (owner) owner->wake();  // W2: after the unlock
}

}  // namespace goro
