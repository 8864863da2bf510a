// Internal. run_queue: a processor's bounded lock-free queue of runnable fibers (Go's runq).
// One owner (the machine holding the processor) pushes at the tail and pops at the head;
// any number of thieves take half from the head.
// Q1: only the owner writes tail_; consumers (owner pop, thieves) advance head_ by CAS.
// Q2: tail_ - head_ <= capacity, always: the owner reads head_ (acquire) before reusing a
//     slot, so a slot is overwritten only after the CAS that consumed it.
// Q3: a consumer reads slots before its CAS on head_; if the CAS fails the reads are
//     discarded (the owner may have reused those slots in the meantime).
#pragma once

#include <atomic>
#include <cstdint>

namespace goro::detail {

struct fiber;

class run_queue {
 public:
  static constexpr std::uint32_t capacity = 256;

  // Owner only. May run in parallel with steal_into(), never with pop(). False when full.
  bool push(fiber* f) noexcept {
    // Pairs with the release CAS in pop()/grab(): slots below head are free (Q2).
    auto head = head_.load(std::memory_order_acquire);
    auto tail = tail_.load(std::memory_order_relaxed);  // only the owner writes tail_ (Q1)
    if (tail - head >= capacity) return false;
    slots_[tail % capacity].store(f, std::memory_order_relaxed);  // published below
    // Pairs with the acquire loads of tail_ in pop()/grab(): publishes slot `tail`.
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Owner only. Takes up to half the queue (at most `max`) from the head into `out`, for
  // the global queue when the local one overflows. Returns how many.
  std::uint32_t pop_half(fiber** out, std::uint32_t max) noexcept { return grab(out, max, true); }

  // Owner only, and only while no thief exists (one processor: the deterministic mode of
  // goro::testing). The fiber `k` (mod size) places behind the head, or nullptr if empty.
  fiber* pop_at(std::uint32_t k) noexcept {
    const auto head = head_.load(std::memory_order_relaxed);  // no other consumer
    const auto tail = tail_.load(std::memory_order_relaxed);  // own writes
    if (tail == head) return nullptr;
    auto& a = slots_[head % capacity];
    auto& b = slots_[(head + k % (tail - head)) % capacity];
    fiber* f = b.load(std::memory_order_relaxed);
    b.store(a.load(std::memory_order_relaxed), std::memory_order_relaxed);
    a.store(f, std::memory_order_relaxed);
    return pop();
  }

  // Owner only. The oldest fiber, or nullptr.
  fiber* pop() noexcept {
    for (;;) {
      auto head = head_.load(std::memory_order_acquire);  // pairs with thieves' release CAS
      auto tail = tail_.load(std::memory_order_relaxed);  // own writes
      if (tail == head) return nullptr;
      fiber* f = slots_[head % capacity].load(std::memory_order_relaxed);
      // Release: pairs with the acquire load of head_ in push() (Q2).
      if (head_.compare_exchange_weak(head, head + 1, std::memory_order_release,
                                      std::memory_order_relaxed))
        return f;
    }
  }

  // Thief (any thread but the owner). Moves half of this queue into `dst`, which must be
  // the thief's own queue and empty. Returns the number moved.
  std::uint32_t steal_into(run_queue& dst) noexcept {
    auto dtail = dst.tail_.load(std::memory_order_relaxed);  // the thief owns dst
    fiber* batch[capacity / 2];
    auto n = grab(batch, capacity / 2, false);
    for (std::uint32_t i = 0; i < n; ++i)
      dst.slots_[(dtail + i) % capacity].store(batch[i], std::memory_order_relaxed);
    // Pairs with acquire loads of dst.tail_ by dst's thieves: publishes the new slots.
    dst.tail_.store(dtail + n, std::memory_order_release);
    return n;
  }

  // Any thread; a hint, exact only for the owner.
  std::uint32_t size() const noexcept {
    auto head = head_.load(std::memory_order_acquire);
    auto tail = tail_.load(std::memory_order_acquire);
    return tail - head > capacity ? 0 : tail - head;  // a torn read can go "negative"
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  // Takes half (rounded up) of the queue, at most `max`, into out (Q3).
  std::uint32_t grab(fiber** out, std::uint32_t max, bool owner) noexcept {
    for (;;) {
      auto head = head_.load(std::memory_order_acquire);  // pairs with other consumers' CAS
      // Pairs with the release store in push(): slots below tail are written.
      auto tail = tail_.load(owner ? std::memory_order_relaxed : std::memory_order_acquire);
      auto n = tail - head;
      if (n > capacity) continue;  // head moved on between the two loads: read again
      n -= n / 2;
      if (n > max) n = max;
      if (n == 0) return 0;
      for (std::uint32_t i = 0; i < n; ++i)
        out[i] = slots_[(head + i) % capacity].load(std::memory_order_relaxed);
      // Release: pairs with the acquire of head_ in push() (Q2); slots read above are free.
      if (head_.compare_exchange_weak(head, head + n, std::memory_order_release,
                                      std::memory_order_relaxed))
        return n;
    }
  }

  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  std::atomic<fiber*> slots_[capacity];
};

}  // namespace goro::detail
