// Channels (Go's chan.go) and select (Go's select.go) over the type-erased chan_core.
// Invariants H1-H4 are in chan_core.hpp. Lock order: channel locks by ascending address
// (select), then a timer heap's lock.
#include <goro/detail/chan_core.hpp>

#include <algorithm>
#include <cstdlib>
#include <new>

#include <goro/detail/futex.hpp>
#include <goro/detail/timer_api.hpp>
#include <goro/error.hpp>

namespace goro::detail {

// --- wait_queue (the channel's lock held) ---

void wait_queue::push(chan_waiter* w) {
  w->qnext = nullptr;
  w->qprev = tail_;
  if (tail_) {
    tail_->qnext = w;
  } else {
    head_ = w;
  }
  tail_ = w;
  w->queued = true;  // H2
}

void wait_queue::unlink(chan_waiter* w) {
  if (!w->queued) return;
  (w->qprev ? w->qprev->qnext : head_) = w->qnext;
  (w->qnext ? w->qnext->qprev : tail_) = w->qprev;
  w->qnext = w->qprev = nullptr;
  w->queued = false;  // H2
}

chan_waiter* wait_queue::take() {
  while (chan_waiter* w = head_) {
    unlink(w);
    // H3: a select's waiter is ours only if we are the first to claim its select. The
    // acq_rel pairs with the other claimants (other channels' wakers, the select's timer).
    int none = -1;
    if (w->sel && !w->sel->winner.compare_exchange_strong(none, w->index,
                                                          std::memory_order_acq_rel))
      continue;  // its select already finished: skip it (its owner unlinks the rest)
    return w;
  }
  return nullptr;
}

// --- lifetime ---

chan_core* chan_make(std::size_t capacity, const elem_ops* ops, std::size_t align) {
  // One allocation: the core, then the ring buffer.
  align = std::max(align, alignof(chan_core));
  std::size_t header = (sizeof(chan_core) + align - 1) / align * align;
  void* mem = ::operator new(header + capacity * ops->size, std::align_val_t{align});
  return ::new (mem) chan_core(capacity, ops, static_cast<char*>(mem) + header, align);
}

void chan_retain(chan_core* c) noexcept {
  if (c) c->refs.fetch_add(1, std::memory_order_relaxed);  // a handle already owns one
}

void chan_release(chan_core* c) noexcept {
  // acq_rel: the last owner sees every element the others left in the buffer.
  if (!c || c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (c->on_last_release) c->on_last_release(c->on_last_release_arg);
  for (std::size_t i = 0; i < c->count; ++i) c->ops->destroy(c->slot(i));
  std::size_t align = c->alloc_align;
  c->~chan_core();
  ::operator delete(static_cast<void*>(c), std::align_val_t{align});
}

namespace {

// Parks forever: an operation on a nil channel. Only a deadlock report can end it.
[[noreturn]] void block_forever(wait_reason reason) {
  spinlock never;
  for (;;) {
    waiter w;
    never.lock();
    w.wait(never, reason);
  }
}

[[noreturn]] void throw_closed(const char* what) { throw closed_channel_error(what); }

// The ready-case steps shared by chan_send/chan_recv and select; the lock held. They
// return the waiter to wake after unlocking (or nullptr).

// Send when possible: to a waiting receiver, else into the buffer.
bool try_send_locked(chan_core* c, void* elem, chan_waiter** wake) {
  if (chan_waiter* r = c->recvq.take()) {
    c->ops->to_receiver(r->elem, elem);  // H4
    r->ok = true;
    *wake = r;
    return true;
  }
  if (c->count < c->cap) {
    c->ops->to_slot(c->slot(c->count), elem);
    ++c->count;
    return true;
  }
  return false;
}

// Receive when possible: from the buffer (refilled by a waiting sender), else from a
// waiting sender, else "closed" when closed and drained.
recv_status try_recv_locked(chan_core* c, void* out, chan_waiter** wake) {
  if (c->count > 0) {
    c->ops->to_receiver(out, c->slot(0));
    c->ops->destroy(c->slot(0));
    if (++c->head == c->cap) c->head = 0;
    --c->count;
    if (chan_waiter* s = c->sendq.take()) {  // its value takes the freed place, in order
      c->ops->to_slot(c->slot(c->count), s->elem);
      ++c->count;
      s->ok = true;
      *wake = s;
    }
    return recv_status::received;
  }
  if (chan_waiter* s = c->sendq.take()) {
    c->ops->to_receiver(out, s->elem);  // H4
    s->ok = true;
    *wake = s;
    return recv_status::received;
  }
  return c->closed ? recv_status::closed : recv_status::would_block;
}

}  // namespace

// --- send, receive, close ---

bool chan_send(chan_core* c, void* elem, bool block) {
  if (!c) {
    if (!block) return false;
    block_forever(wait_reason::chan_send);
  }
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throw_closed("goro: send on closed channel");
  }
  chan_waiter* wake = nullptr;
  if (try_send_locked(c, elem, &wake)) {
    c->lock.unlock();
    if (wake) wake->wake();  // W2: after the unlock
    return true;
  }
  if (!block) {
    c->lock.unlock();
    return false;
  }
  chan_waiter me;
  me.elem = elem;
  c->sendq.push(&me);
  me.wait(c->lock, wait_reason::chan_send);
  if (!me.ok) throw_closed("goro: send on closed channel");  // closed while we waited
  return true;
}

recv_status chan_recv(chan_core* c, void* out, bool block) {
  if (!c) {
    if (!block) return recv_status::would_block;
    block_forever(wait_reason::chan_receive);
  }
  c->lock.lock();
  chan_waiter* wake = nullptr;
  recv_status st = try_recv_locked(c, out, &wake);
  if (st != recv_status::would_block || !block) {
    c->lock.unlock();
    if (wake) wake->wake();
    return st;
  }
  chan_waiter me;
  me.elem = out;
  c->recvq.push(&me);
  me.wait(c->lock, wait_reason::chan_receive);
  return me.ok ? recv_status::received : recv_status::closed;
}

void chan_close(chan_core* c) {
  if (!c) throw closed_channel_error("goro: close of nil channel");
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throw closed_channel_error("goro: close of closed channel");
  }
  c->closed = true;
  // Every waiter learns of the close: receivers get "closed", senders throw.
  chan_waiter* all = nullptr;
  for (wait_queue* q : {&c->recvq, &c->sendq}) {
    while (chan_waiter* w = q->take()) {
      w->ok = false;
      w->qnext = all;  // unlinked: the link is free to chain them here
      all = w;
    }
  }
  c->lock.unlock();
  while (all) {
    chan_waiter* next = all->qnext;  // W2: read before wake()
    all->wake();
    all = next;
  }
}

std::size_t chan_size(chan_core* c) noexcept {
  if (!c) return 0;
  c->lock.lock();
  std::size_t n = c->count;
  c->lock.unlock();
  return n;
}

// --- select ---

namespace {

struct lock_set {
  chan_core** cs;  // distinct channels, ascending address
  int n;
  void lock() const {
    for (int i = 0; i < n; ++i) cs[i]->lock.lock();
  }
  void unlock() const {
    for (int i = n; i-- > 0;) cs[i]->lock.unlock();
  }
};

// What a parked select releases after its switch-out: its timer goes on the heap, then
// the channel locks are released (invariant 1: nothing can wake it before both).
struct select_park {
  lock_set locks;
  timer* t;  // nullptr: no deadline
  timer_heap* heap = nullptr;
};

void release_select(void* arg) {
  auto* sp = static_cast<select_park*>(arg);
  if (sp->t) sp->heap = timer_start(sp->t);  // this machine's processor, where the switch ran
  sp->locks.unlock();
}

struct select_timer : timer {
  select_state* sel;
  fiber* f;
};

void fire_select_timeout(timer* t) {
  auto* st = static_cast<select_timer*>(t);
  fiber* f = st->f;
  int none = -1;
  bool won = st->sel->winner.compare_exchange_strong(none, select_timeout,
                                                     std::memory_order_acq_rel);  // H3
  t->done();  // T3: its select may return from here on
  if (won) ready(f);
}

}  // namespace

int select_impl(select_case* cases, chan_waiter* waiters, int n, bool has_default,
                std::int64_t deadline_ns) {
  // Poll order: a random permutation (fairness among ready cases, and the order of the
  // waiters queued in pass 2). Lock order: by address.
  constexpr int small = 16;
  int order_buf[small];
  chan_core* lock_buf[small];
  int* order = n <= small ? order_buf : new int[n];
  chan_core** locked = n <= small ? lock_buf : new chan_core*[n];
  struct freer {
    int* o;
    chan_core** l;
    int* ob;
    ~freer() {
      if (o != ob) {
        delete[] o;
        delete[] l;
      }
    }
  } free_bufs{order, locked, order_buf};
  for (int i = 0; i < n; ++i) {
    int j = static_cast<int>(fast_random() % static_cast<std::uint32_t>(i + 1));
    order[i] = order[j];
    order[j] = i;
  }
  int nl = 0;
  for (int i = 0; i < n; ++i)
    if (cases[i].c) locked[nl++] = cases[i].c;
  std::sort(locked, locked + nl);
  nl = static_cast<int>(std::unique(locked, locked + nl) - locked);
  lock_set locks{locked, nl};

  locks.lock();
  // Pass 1: a ready case, in poll order.
  for (int k = 0; k < n; ++k) {
    int i = order[k];
    select_case& sc = cases[i];
    if (!sc.c) continue;
    chan_waiter* wake = nullptr;
    if (sc.is_send) {
      if (sc.c->closed) {
        locks.unlock();
        throw closed_channel_error("goro: send on closed channel");
      }
      if (!try_send_locked(sc.c, sc.elem, &wake)) continue;
    } else {
      recv_status st = try_recv_locked(sc.c, sc.elem, &wake);
      if (st == recv_status::would_block) continue;
      sc.ok = st == recv_status::received;
    }
    locks.unlock();
    if (wake) wake->wake();
    return i;
  }
  if (has_default) {
    locks.unlock();
    return select_default;
  }

  // Pass 2: wait on every channel at once. Queued in poll order, not argument order: of
  // two cases on one channel, either is first in its queue, so either wins a peer that
  // comes later (Go queues in its lock order, which keeps the poll order among the cases
  // of one channel).
  select_state sel;
  for (int i = 0; i < n; ++i) {
    chan_waiter& w = waiters[i];
    w.sel = &sel;
    w.index = i;
    w.word = &waiters[0].own_word;  // one futex word for a thread
    w.elem = cases[i].elem;
  }
  for (int k = 0; k < n; ++k) {
    const int i = order[k];
    if (cases[i].c) (cases[i].is_send ? cases[i].c->sendq : cases[i].c->recvq).push(&waiters[i]);
  }
  select_timer t;
  select_park sp{locks, nullptr};
  const bool fiber_side = waiters[0].f != nullptr;
  if (deadline_ns >= 0 && fiber_side) {
    t.when = deadline_ns;
    t.fire = fire_select_timeout;
    t.sel = &sel;
    t.f = waiters[0].f;
    sp.t = &t;
  }
  if (nl == 0 && deadline_ns < 0) {  // only nil channels, no deadline: never ready
    locks.unlock();
    block_forever(wait_reason::select);
  }
  bool woke = waiters[0].wait_with(release_select, &sp, wait_reason::select,
                                   fiber_side ? -1 : deadline_ns);
  if (!woke) {  // a thread's deadline passed: claim the timeout, unless a waker won first
    int none = -1;
    if (!sel.winner.compare_exchange_strong(none, select_timeout, std::memory_order_acq_rel)) {
      // A waker claimed us and is about to wake our word: wait for it (H4).
      while (waiters[0].own_word.load(std::memory_order_acquire) == 0)
        futex_wait(waiters[0].own_word, 0);
    }
  }
  if (sp.heap) timer_remove(sp.heap, &t);  // gone from the heap, or its fire() is done (T3)

  // Unlink the waiters nobody took (H2), under the locks again.
  locks.lock();
  for (int i = 0; i < n; ++i)
    if (cases[i].c) (cases[i].is_send ? cases[i].c->sendq : cases[i].c->recvq).unlink(&waiters[i]);
  locks.unlock();

  int w = sel.winner.load(std::memory_order_acquire);
  if (w == select_timeout) return select_timeout;
  if (cases[w].is_send) {
    if (!waiters[w].ok) throw closed_channel_error("goro: send on closed channel");
  } else {
    cases[w].ok = waiters[w].ok;
  }
  return w;
}

}  // namespace goro::detail
