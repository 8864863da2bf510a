// Internal. run_queue: a processor's bounded lock-free deque of runnable fibers (Go's runq,
// with one change: fresh fibers are taken newest first).
// One owner (the machine holding the processor) pushes at the back and takes from either
// end; any number of thieves take half from the front.
// Which end the owner takes from: the back if the fiber there has never run (a fresh spawn),
// else the front. So a fork-join tree runs depth first, each parent's last child first, and
// needs about ten live fibers per level instead of all its leaves at once; every other
// fiber (readied, yielding, spilled back from the global queue) keeps Go's FIFO order.
//
// The whole state is one 64-bit word: front index (16 bits), back index (16 bits), and a
// version (32 bits) that every change of the word increments. Every operation, the owner's
// too, ends in one CAS on that word, which is its linearization point.
// Q1: a CAS succeeds only if no other operation changed the word since its load (the
//     version makes the word unique; 2^32 changes within one operation's window is not
//     possible), so the slots an operation read are still the ones in its range.
// Q2: back - front <= capacity, always: a slot outside [front, back) is free, and the
//     owner writes a slot only there, before the CAS that takes it into the range.
// Q3: a consumer reads slots before its CAS; if the CAS fails the reads are discarded (the
//     owner may have reused those slots in the meantime; slots are atomics, so such a read
//     is merely stale).
// Q4: a slot holds a fiber pointer with bit 0 set if the fiber is fresh (never ran).
//     Fibers are at least 16-byte aligned; the bit never leaves this class.
// Q5: a queue marked alone (the runtime's only processor: no thief exists, steal_work
//     skips its own processor) has one writer of word_, its owner, which then replaces
//     the CAS by a plain store: a yield at P=1 costs no locked instruction.
#pragma once

#include <atomic>
#include <cstdint>

namespace goro::detail {

struct fiber;

class run_queue {
 public:
  static constexpr std::uint32_t capacity = 256;

  // Owner only. May run in parallel with steal_into(), never with the owner's other calls.
  // `fresh`: f has never run (a spawn), so the owner takes it before older fibers (Q4).
  // False when full.
  [[gnu::always_inline]] bool push(fiber* f, bool fresh = false) noexcept {
    const auto v = reinterpret_cast<std::uintptr_t>(f) | (fresh ? 1u : 0u);
    for (;;) {
      // Acquire pairs with thieves' release CAS: the slots they took are free again (Q2).
      const std::uint64_t w = word_.load(std::memory_order_acquire);
      const std::uint16_t front = front_of(w), back = back_of(w);
      if (std::uint16_t(back - front) >= capacity) return false;
      slots_[back % capacity].store(v, std::memory_order_relaxed);  // published by the CAS
      // Release: pairs with the acquire loads of word_ by thieves: publishes the slot.
      if (cas(w, make(front, std::uint16_t(back + 1), w))) return true;
    }
  }

  // Owner only. The next fiber by the rule above (the back if fresh, else the front), or
  // nullptr if empty.
  [[gnu::always_inline]] fiber* pop() noexcept {
    for (;;) {
      const std::uint64_t w = word_.load(std::memory_order_acquire);  // pairs as in push()
      const std::uint16_t front = front_of(w), back = back_of(w);
      if (front == back) return nullptr;
      const std::uintptr_t last =
          slots_[std::uint16_t(back - 1) % capacity].load(std::memory_order_relaxed);
      if (last & 1) {  // fresh: the newest one first
        if (cas(w, make(front, std::uint16_t(back - 1), w))) return as_fiber(last);
        continue;
      }
      const std::uintptr_t first = slots_[front % capacity].load(std::memory_order_relaxed);
      if (cas(w, make(std::uint16_t(front + 1), back, w))) return as_fiber(first);
    }
  }

  // Owner only. The oldest fiber, fresh or not, or nullptr: the scheduler's fairness pass,
  // so that a stream of fresh spawns cannot keep an old fiber waiting for ever.
  fiber* pop_front() noexcept {
    fiber* f = nullptr;
    return grab(&f, 1, 1) ? f : nullptr;
  }

  // Owner only. Takes up to half the queue (at most `max`) from the front into `out`, for
  // the global queue when the local one overflows, and sets fresh[i] for each fiber that
  // never ran. Returns how many.
  std::uint32_t pop_half(fiber** out, bool* fresh, std::uint32_t max) noexcept {
    std::uintptr_t raw[capacity / 2];
    const std::uint32_t n = take(raw, max < capacity / 2 ? max : capacity / 2, 2);
    for (std::uint32_t i = 0; i < n; ++i) {
      out[i] = as_fiber(raw[i]);
      fresh[i] = raw[i] & 1;
    }
    return n;
  }

  // Owner only, and only while no thief exists (one processor: the deterministic mode of
  // goro::testing). The fiber `k` (mod size) places behind the front, or nullptr if empty.
  fiber* pop_at(std::uint32_t k) noexcept {
    const std::uint64_t w = word_.load(std::memory_order_relaxed);  // no other consumer
    const std::uint16_t front = front_of(w), back = back_of(w);
    if (front == back) return nullptr;
    auto& a = slots_[front % capacity];
    auto& b = slots_[std::uint16_t(front + k % std::uint16_t(back - front)) % capacity];
    const std::uintptr_t f = b.load(std::memory_order_relaxed);
    b.store(a.load(std::memory_order_relaxed), std::memory_order_relaxed);
    a.store(f, std::memory_order_relaxed);
    return pop_front();
  }

  // Thief (any thread but the owner). Moves half of this queue (rounded up) into `dst`,
  // which must be the thief's own queue and empty; fresh fibers stay fresh. Returns the
  // number moved.
  std::uint32_t steal_into(run_queue& dst) noexcept {
    std::uintptr_t batch[capacity / 2];
    const std::uint32_t n = take(batch, capacity / 2, 2);
    if (n == 0) return 0;
    // The thief owns dst: nobody but its thieves changes it, and dst is empty, so there
    // is room; loop only if one of them changed the version.
    for (;;) {
      const std::uint64_t w = dst.word_.load(std::memory_order_acquire);
      const std::uint16_t back = back_of(w);
      for (std::uint32_t i = 0; i < n; ++i)
        dst.slots_[std::uint16_t(back + i) % capacity].store(batch[i], std::memory_order_relaxed);
      // Release: pairs with acquire loads of dst's word by dst's thieves (publishes).
      if (dst.cas(w, make(front_of(w), std::uint16_t(back + n), w))) return n;
    }
  }

  // Before the queue is used (the runtime's start): whether it is alone (Q5).
  void set_alone(bool alone) noexcept { alone_ = alone; }

  // Any thread; a hint, exact only for the owner.
  std::uint32_t size() const noexcept {
    const std::uint64_t w = word_.load(std::memory_order_acquire);
    return std::uint16_t(back_of(w) - front_of(w));
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  static std::uint16_t front_of(std::uint64_t w) noexcept { return std::uint16_t(w); }
  static std::uint16_t back_of(std::uint64_t w) noexcept { return std::uint16_t(w >> 16); }
  // A word with these indices and the next version after `old`'s (Q1).
  static std::uint64_t make(std::uint16_t front, std::uint16_t back, std::uint64_t old) noexcept {
    return ((old >> 32) + 1) << 32 | std::uint64_t(back) << 16 | front;
  }
  static fiber* as_fiber(std::uintptr_t v) noexcept {
    return reinterpret_cast<fiber*>(v & ~std::uintptr_t(1));  // Q4
  }
  // The linearization point of every operation (Q1). Release publishes the slots a push
  // wrote and orders a consumer's slot reads before the owner's reuse of them; acquire
  // (also on failure, before the caller's reload) pairs with the other side's release.
  bool cas(std::uint64_t expected, std::uint64_t desired) noexcept {
    if (alone_) {  // Q5: nobody else writes word_; release pairs with size()'s acquire
      word_.store(desired, std::memory_order_release);
      return true;
    }
    return word_.compare_exchange_strong(expected, desired, std::memory_order_acq_rel,
                                         std::memory_order_acquire);
  }

  // Takes from the front up to `max` slots' values: one, or half (rounded up) when `div`
  // is 2 (Q3). Owner or thief.
  std::uint32_t take(std::uintptr_t* out, std::uint32_t max, std::uint32_t div) noexcept {
    for (;;) {
      const std::uint64_t w = word_.load(std::memory_order_acquire);  // pairs with cas()
      const std::uint16_t front = front_of(w);
      std::uint32_t n = std::uint16_t(back_of(w) - front);
      if (div == 2) n -= n / 2;
      if (n > max) n = max;
      if (n == 0) return 0;
      for (std::uint32_t i = 0; i < n; ++i)
        out[i] = slots_[std::uint16_t(front + i) % capacity].load(std::memory_order_relaxed);
      if (cas(w, make(std::uint16_t(front + n), back_of(w), w))) return n;
    }
  }
  std::uint32_t grab(fiber** out, std::uint32_t max, std::uint32_t div) noexcept {
    std::uintptr_t raw[capacity / 2];
    const std::uint32_t n = take(raw, max < capacity / 2 ? max : capacity / 2, div);
    for (std::uint32_t i = 0; i < n; ++i) out[i] = as_fiber(raw[i]);
    return n;
  }

  alignas(64) std::atomic<std::uint64_t> word_{0};
  bool alone_ = false;  // Q5; set before any other thread can see the queue
  std::atomic<std::uintptr_t> slots_[capacity];
};

}  // namespace goro::detail
