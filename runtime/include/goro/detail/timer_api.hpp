// Internal. The runtime's timers, as the layers above it use them (channels' after(),
// tick(), ticker and timer; select's deadline): a timer lives in its owner's memory; the
// runtime queues it on a processor's heap (timer_heap.hpp, private) and calls its fire()
// once it is due. Invariants T1-T5 are in runtime/src/timer_heap.hpp; T3 and T4 are the
// ones a user of this header relies on.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

#include <goro/detail/spinlock.hpp>

namespace goro::detail {

class timer_heap;

inline constexpr std::int64_t no_deadline = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t never = no_deadline - 1;  // T4

// `ns` after `now`, saturated at `never` (T4); now for ns <= 0.
inline std::int64_t deadline_after(std::int64_t now, std::int64_t ns) noexcept {
  if (ns <= 0) return now;
  return ns >= never - now ? never : now + ns;
}

struct timer {
  enum : std::uint8_t { idle, queued, firing, detached };  // detached: T5
  std::int64_t when = 0;                                   // CLOCK_MONOTONIC ns
  void (*fire)(timer*) = nullptr;  // called on the machine that runs the heap, lock_ free;
                                   // ends the timer's use with done() (T3)
  std::size_t index = 0;           // position in the heap while queued (lock_)
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

// The clock of timers: CLOCK_MONOTONIC ns, or the virtual clock in the deterministic mode
// (goro::testing).
std::int64_t timer_clock_ns() noexcept;
// Queues t (t->when and t->fire set) on the caller's processor (a fiber), else on an idle
// one (a plain thread, or a machine inside goro::blocking), waking or starting a machine
// to wait for it (R3 in scheduler.cpp). Returns its heap, for timer_remove/timer_cancel.
timer_heap* timer_start(timer* t);
// Takes t out of heap h if it is still queued (true); else waits until its fire() is done
// with it (T3) and returns false. The owner may free t once it returns.
bool timer_remove(timer_heap* h, timer* t);
// Takes t out of h if it is still queued (true); never waits: false if it is being fired
// (or idle). For owners that arbitrate with fire() by a lock of their own.
bool timer_cancel(timer_heap* h, timer* t);

}  // namespace goro::detail
