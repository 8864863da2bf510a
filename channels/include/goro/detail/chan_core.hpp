// Internal. chan_core: the type-erased state of a channel (Go's hchan) and the waits on it.
// chan<T> and select are thin templates over these functions; elements move through
// elem_ops, so the locking, queuing and hand-off logic exists once.
// H1: every field but refs is guarded by lock (a spinlock: a parking waiter's unlock runs
//     on the other side of its switch, invariant 3).
// H2: a waiter is in a queue iff its `queued` flag is set; both change only under lock.
// H3: a waiter belonging to a select is taken from a queue only by the waker that wins the
//     CAS on its select's `winner` (W2 in waiter); losers leave it for its owner to unlink.
// H4: the element hand-off (move, ok flag) is complete before the waiter is woken; the wake
//     (ready or futex) publishes it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include <goro/detail/fiber_api.hpp>

namespace goro::detail {

// How elements move. A sender's value stays the sender's (moved from, destroyed by it); a
// receiver's storage is a std::optional<T> on its stack.
struct elem_ops {
  void (*to_slot)(void* raw, void* src);      // move-constructs a buffer slot from *src
  void (*to_receiver)(void* opt, void* src);  // emplaces *src into an optional<T>
  void (*destroy)(void* p);                   // destroys a buffer slot
  std::size_t size;
};

template <class T>
inline constexpr elem_ops elem_ops_for{
    [](void* d, void* s) { ::new (d) T(std::move(*static_cast<T*>(s))); },
    [](void* o, void* s) {
      static_cast<std::optional<T>*>(o)->emplace(std::move(*static_cast<T*>(s)));
    },
    [](void* p) { static_cast<T*>(p)->~T(); }, sizeof(T)};

// Shared by the waiters of one select: which case won (-1: none yet; a timeout is -2).
struct select_state {
  std::atomic<int> winner{-1};
};

struct chan_waiter : waiter {
  using waiter::waiter;
  void* elem = nullptr;         // send: the value (a T); receive: a std::optional<T>
  bool ok = false;              // set by the waker (H4): transferred, or false if closed
  bool queued = false;          // H2
  select_state* sel = nullptr;  // H3
  int index = 0;                // this waiter's case in its select
};

// A channel's queue of senders or receivers: a waiter_fifo (the links are the waiters' own
// next/prev, W1) that keeps each waiter's `queued` flag (H2) and skips the waiters of a
// select that another case has won (H3). The channel's lock held.
class wait_queue {
 public:
  void push(chan_waiter* w) noexcept {
    fifo_.push_back(w);
    w->queued = true;  // H2
  }
  void unlink(chan_waiter* w) noexcept {
    if (!w->queued) return;
    fifo_.remove(w);
    w->queued = false;  // H2
  }
  // The first waiter that may be woken (H3), unlinked; nullptr if none.
  chan_waiter* take() noexcept {
    while (!fifo_.empty()) {
      auto* w = static_cast<chan_waiter*>(fifo_.front());
      unlink(w);
      // H3: a select's waiter is ours only if we are the first to claim its select. The
      // acq_rel pairs with the other claimants (other channels' wakers, the select's timer).
      int none = -1;
      if (w->sel &&
          !w->sel->winner.compare_exchange_strong(none, w->index, std::memory_order_acq_rel))
        continue;  // its select already finished: skip it (its owner unlinks the rest)
      return w;
    }
    return nullptr;
  }
  bool empty() const noexcept { return fifo_.empty(); }

 private:
  waiter_fifo fifo_;
};

struct chan_core {
  chan_core(std::size_t capacity, const elem_ops* o, void* storage, std::size_t align)
      : cap(capacity), ops(o), buf(static_cast<char*>(storage)), alloc_align(align) {}

  spinlock lock;
  bool closed = false;
  std::size_t cap;
  std::size_t count = 0;  // buffered elements
  std::size_t head = 0;   // index of the oldest buffered element
  wait_queue recvq, sendq;
  const elem_ops* ops;
  char* buf;  // cap elements of ops->size bytes, right after this object
  std::size_t alloc_align;
  std::atomic<std::int64_t> refs{1};
  // Called when the last handle goes, before the channel is freed: an internal sender
  // that holds no handle (an after() timer) lets go of it. Set once, before sharing.
  void (*on_last_release)(void* arg) = nullptr;
  void* on_last_release_arg = nullptr;

  // The buffer place `i` behind the oldest element (i <= count <= cap, head < cap). No
  // division: these run under the lock, whose hold time is what contended channels pay.
  void* slot(std::size_t i) const {
    std::size_t j = head + i;
    if (j >= cap) j -= cap;
    return buf + j * ops->size;
  }
};

chan_core* chan_make(std::size_t capacity, const elem_ops* ops, std::size_t align);
void chan_retain(chan_core* c) noexcept;
void chan_release(chan_core* c) noexcept;

// Blocking (block = true) or not. send: false when it would block. Throws
// closed_channel_error on a closed channel. A nil channel (nullptr) blocks forever.
bool chan_send(chan_core* c, void* elem, bool block);
enum class recv_status { received, closed, would_block };
recv_status chan_recv(chan_core* c, void* out, bool block);
void chan_close(chan_core* c);
std::size_t chan_size(chan_core* c) noexcept;

// One case of a select. elem: send: the value (a T); receive: a std::optional<T>.
struct select_case {
  chan_core* c = nullptr;  // nullptr: a nil channel, never ready
  bool is_send = false;
  void* elem = nullptr;
  bool ok = false;  // receive: a value arrived (false: closed)
};
// Room for a select's waiters (n, at least one) on its caller's stack. Only a select that
// waits (pass 2) constructs them, so one that finds a case ready builds none. They are
// never destroyed: a chan_waiter is trivially destructible.
template <int N>
struct waiter_room {
  alignas(chan_waiter) std::byte bytes[N * sizeof(chan_waiter)];
};
static_assert(std::is_trivially_destructible_v<chan_waiter>);

inline constexpr int select_default = -1;
inline constexpr int select_timeout = -2;
// Runs one ready case, chosen uniformly at random among the ready ones; else returns
// select_default if `has_default`; else blocks until one is ready or the deadline
// (CLOCK_MONOTONIC ns, < 0: none) passes (select_timeout). `room`: a waiter_room's bytes,
// for n waiters.
int select_impl(select_case* cases, std::byte* room, int n, bool has_default,
                std::int64_t deadline_ns);

}  // namespace goro::detail
