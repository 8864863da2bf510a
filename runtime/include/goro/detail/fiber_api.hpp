// Internal. The runtime's entry points that goro's templates (spawn, join_handle, channels)
// call. The fiber control block stays opaque here: its layout is private to runtime/src.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>

#include <goro/detail/spinlock.hpp>

namespace goro {
struct spawn_options;
}

namespace goro::detail {

struct fiber;

// Why a fiber is parked; shown in dumps and the deadlock report.
enum class wait_reason : std::uint8_t {
  none,
  join,
  wait_group,
  sleep,
  chan_send,
  chan_receive,
  select,
  mutex,
  rwmutex_lock,   // shared_mutex::lock
  rwmutex_rlock,  // shared_mutex::lock_shared
  cond,
  semaphore,
  io,
};
const char* to_string(wait_reason r) noexcept;

// Starts the runtime with default options if it is not running.
void ensure_started();

// The running fiber, or nullptr on a thread that is not running a fiber. Never inlined:
// the answer changes at scheduling points (invariant 3).
fiber* current_fiber() noexcept;

// A random number for the runtime's choices (select's poll order): from the caller's
// processor's generator (seeded by options.seed) on a fiber, else a per-thread one.
std::uint32_t fast_random() noexcept;

// --- spawn and join (used by goro::spawn / goro::join_handle) ---
// The payload (callable plus result storage) lives on the new fiber's own stack, next to
// its control block: one allocation-free carve-out from a pooled stack per spawn.
struct payload_ops {
  void (*run)(void* payload);      // runs the callable, stores the result; may throw
  void (*destroy)(void* payload);  // destroys what run() left (the result), at release
};
struct new_fiber {
  fiber* f;
  void* payload;
};
// Creates a fiber (not yet runnable) with `size` bytes of payload aligned to `align`.
// `joinable`: a join_handle holds a second reference until join() or detach().
new_fiber fiber_create(const spawn_options& opts, std::size_t size, std::size_t align,
                       const payload_ops* ops, bool joinable);
void fiber_start(fiber* f);                    // makes a created fiber runnable
void fiber_discard(fiber* f) noexcept;         // frees a created fiber that never started
void fiber_join(fiber* f);                     // waits for the end; rethrows its exception
void fiber_detach(fiber* f) noexcept;          // drops the handle's reference
void fiber_release_joined(fiber* f) noexcept;  // drops the handle's reference after join
std::uint64_t fiber_id(const fiber* f) noexcept;

// --- park / ready: the one waiting mechanism (invariant 1) ---
// Parks the current fiber. Once its context is fully saved, the scheduler calls
// unlock(arg) on the other side of the switch; a waker that finds the fiber under the
// lock that unlock() releases therefore always finds it parked.
void park(wait_reason reason, void (*unlock)(void* arg), void* arg);
// park() releasing `lock` once the fiber is parked.
void park_unlocking(spinlock& lock, wait_reason reason) GORO_RELEASE(lock);
// Makes a parked fiber runnable (on the caller's processor when it has one).
void ready(fiber* f);

// waiter: a blocked fiber's or thread's place in a wait queue (Go's sudog). Lives on the
// waiter's own stack: blocking allocates nothing.
// W1: linked and unlinked only under its queue's lock.
// W2: wake() is called after the unlink; `this` may be destroyed as soon as wake() starts.
struct waiter {
  fiber* f = current_fiber();  // nullptr: a plain thread, blocked on *word
  std::atomic<std::uint32_t> own_word{0};
  // Plain thread: 1 once woken (a futex word). Several waiters of one select share one.
  std::atomic<std::uint32_t>* word = &own_word;
  waiter* next = nullptr;
  waiter* prev = nullptr;
  void* data = nullptr;  // what the waker hands over (e.g. a channel value)

  waiter() = default;
  explicit waiter(fiber* fib) noexcept : f(fib) {}  // f: the caller's current_fiber()
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  // Called with `lock` held; releases it and returns once woken. A scheduling point.
  void wait(spinlock& lock, wait_reason reason) GORO_RELEASE(lock);
  // The same with any release action: unlock(arg) runs once the waiter is committed to
  // waiting (a fiber: after its switch-out). A plain thread gives up at `deadline_ns`
  // (CLOCK_MONOTONIC, < 0: never) and returns false; a fiber ignores it (its caller arms a
  // timer that wakes it).
  bool wait_with(void (*unlock)(void*), void* arg, wait_reason reason,
                 std::int64_t deadline_ns = -1);
  // Wakes the waiter (W2).
  void wake();
};

// Wakes every waiter of a chain linked through `next` (W2: each link is read before its
// waiter is woken). Call it after releasing the lock the chain was taken under.
void wake_all(waiter* chain);

// A FIFO of waiters, linked through the waiters themselves (no allocation). Not
// synchronized: its owner's lock guards it.
class waiter_fifo {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  waiter* front() const noexcept { return head_; }
  void push_back(waiter* w) noexcept {
    w->next = nullptr;
    w->prev = tail_;
    (tail_ ? tail_->next : head_) = w;
    tail_ = w;
  }
  void push_front(waiter* w) noexcept {
    w->prev = nullptr;
    w->next = head_;
    (head_ ? head_->prev : tail_) = w;
    head_ = w;
  }
  void remove(waiter* w) noexcept {
    (w->prev ? w->prev->next : head_) = w->next;
    (w->next ? w->next->prev : tail_) = w->prev;
  }
  waiter* pop_front() noexcept {
    waiter* w = head_;
    if (w) remove(w);
    return w;
  }
  // Empties the queue; returns its waiters as a chain for wake_all().
  waiter* take_all() noexcept {
    waiter* w = head_;
    head_ = tail_ = nullptr;
    return w;
  }

 private:
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

}  // namespace goro::detail
