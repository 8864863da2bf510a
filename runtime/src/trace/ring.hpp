// Internal. trace_ring: a processor's flight recorder, a ring of its last scheduling
// events. One writer at a time: the machine holding the processor (P1 in processor.hpp;
// the hand-off of a processor orders its writers), or, for the shared ring of plain
// threads, whoever holds its spinlock. Readers (the export) run concurrently.
// TR1: each slot is a seqlock: seq is 0 while its event is written, then the event's
//      position + 1. A reader keeps an event only if seq held its position + 1 both before
//      and after it read the fields: a torn or overwritten event is skipped.
// TR2: head counts the events ever put; slots [head - capacity, head) hold the newest.
#pragma once

#include <atomic>
#include <cstdint>

#include "trace/clock.hpp"

namespace goro::detail {

enum class trace_kind : std::uint8_t {
  run,             // fiber: started running on this processor
  stop,            // fiber: stopped running; arg = switch_action | wait_reason << 8
  handoff,         // the running fiber stopped (arg as for stop) and `fiber` runs next
  spawn,           // fiber: the new fiber; arg = the spawning fiber (0: none)
  ready,           // fiber: readied (made runnable) by this processor or thread
  steal,           // arg = victim processor | fibers taken << 16
  timers,          // arg = timers fired
  netpoll,         // arg = fibers the poller readied
  blocking_enter,  // fiber: enters goro::blocking (leaves its processor)
  blocking_exit,   // fiber: leaves goro::blocking on this processor
};

struct trace_event {
  std::uint64_t ticks;
  std::uint64_t fiber;
  trace_kind kind;
  std::uint64_t arg;
};

class trace_ring {
 public:
  static constexpr std::uint64_t capacity = 1u << 14;  // 512 KiB a processor

  // The one writer only (see the top comment).
  void put(trace_kind kind, std::uint64_t fiber, std::uint64_t arg) noexcept {
    last_ticks_ = trace_ticks();
    put_at(last_ticks_, kind, fiber, arg);
  }

  // The one writer only. An event stamped with the time of the ring's previous event: its
  // place in the order is exact, its time is that of the slice it happens in. For the
  // events inside a slice (ready, spawn): reading the time-stamp counter costs more than
  // the rest of an event (about 20 ns on some CPUs, where a whole switch costs 50).
  void put_untimed(trace_kind kind, std::uint64_t fiber, std::uint64_t arg) noexcept {
    put_at(last_ticks_, kind, fiber, arg);
  }

  // Any thread. Events put so far (TR2).
  std::uint64_t head() const noexcept { return head_.load(std::memory_order_acquire); }

  // Any thread. The event at position i, or false if it is being written or was
  // overwritten (TR1).
  bool read(std::uint64_t i, trace_event& e) const noexcept {
    const slot& s = slots_[i & (capacity - 1)];
    // Pairs with the release store of seq in put_at(): the fields of event i are visible.
    if (s.seq.load(std::memory_order_acquire) != i + 1) return false;
    e.ticks = s.ticks.load(std::memory_order_relaxed);  // checked by the second seq load
    e.fiber = s.fiber.load(std::memory_order_relaxed);
    const std::uint64_t w = s.word.load(std::memory_order_relaxed);
    // Pairs with the release fence in put_at(): a field of a later event seen above implies
    // the seq store of 0 that preceded it is seen below.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (s.seq.load(std::memory_order_relaxed) != i + 1) return false;
    e.kind = static_cast<trace_kind>(w & 0xff);
    e.arg = w >> 8;
    return true;
  }

  // Where the export starts: the head at the last trace::start(). Written by start()
  // (relaxed: a hint; events put concurrently with start() may fall either side).
  std::atomic<std::uint64_t> from{0};

 private:
  void put_at(std::uint64_t ticks, trace_kind kind, std::uint64_t fiber,
              std::uint64_t arg) noexcept {
    const std::uint64_t i = head_.load(std::memory_order_relaxed);  // only the writer stores it
    slot& s = slots_[i & (capacity - 1)];
    s.seq.store(0, std::memory_order_relaxed);
    // TR1: pairs with the acquire fence in read(): a reader that sees any field stored
    // below sees seq 0 (or later) on its second load of seq.
    std::atomic_thread_fence(std::memory_order_release);
    s.ticks.store(ticks, std::memory_order_relaxed);
    s.fiber.store(fiber, std::memory_order_relaxed);
    s.word.store(static_cast<std::uint64_t>(kind) | arg << 8, std::memory_order_relaxed);
    // TR1: pairs with the acquire load of seq in read(): the fields above are visible.
    s.seq.store(i + 1, std::memory_order_release);
    // TR2: pairs with the acquire load in head(): the slots below are written.
    head_.store(i + 1, std::memory_order_release);
  }

  struct slot {
    std::atomic<std::uint64_t> seq{0};  // TR1
    std::atomic<std::uint64_t> ticks{0};
    std::atomic<std::uint64_t> fiber{0};
    std::atomic<std::uint64_t> word{0};  // kind | arg << 8
  };
  std::atomic<std::uint64_t> head_{0};  // TR2
  std::uint64_t last_ticks_ = 0;        // the writer's: the time of its last timed event
  slot slots_[capacity];
};

}  // namespace goro::detail
