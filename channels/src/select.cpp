// select (Go's select.go) over the type-erased chan_core, in three passes: poll the cases in
// a random order for one that is ready (pass 1); else queue a waiter on every channel at once
// and park, with a timer for a deadline (pass 2); then unlink the waiters nobody took and
// read the winner (pass 3). Invariants H1-H4 are in chan_core.hpp.
// Lock order: the select's channel locks by ascending address, then a timer heap's lock.
#include <cstddef>
#include <new>

#include <goro/detail/chan_core.hpp>
#include <goro/detail/futex.hpp>
#include <goro/detail/timer_api.hpp>
#include <goro/error.hpp>

#include "chan_locked.hpp"

namespace goro::detail {

namespace {

// The select's distinct channels, locked together in ascending address order. (Locks taken
// in a loop: the lock analysis cannot count them, thread_safety.hpp.)
struct lock_set {
  chan_core** cs;
  int n;
  void lock() const GORO_NO_THREAD_SAFETY_ANALYSIS {
    for (int i = 0; i < n; ++i) cs[i]->lock.lock();
  }
  void unlock() const GORO_NO_THREAD_SAFETY_ANALYSIS {
    for (int i = n; i-- > 0;) cs[i]->lock.unlock();
  }
};

// The poll order (a random permutation of the cases: fairness among ready cases, and the
// order in which pass 2 queues its waiters) and the lock set, on the stack for up to
// `small` cases.
class select_plan {
 public:
  select_plan(const select_case* cases, int n)
      : order_(n <= small ? order_buf_ : new int[n]),
        locked_(n <= small ? lock_buf_ : new chan_core*[n]) {
    // Fisher-Yates, each step's index from 16 random bits (multiply-shift: j in [0, i]), so
    // one draw serves two cases.
    std::uint32_t bits = 0;
    for (int i = 0; i < n; ++i) {
      if (i % 2 == 1) bits = fast_random();
      const int j = static_cast<int>(((bits & 0xffff) * static_cast<std::uint32_t>(i + 1)) >> 16);
      bits >>= 16;
      order_[i] = order_[j];
      order_[j] = i;
    }
    // The distinct channels by address (insertion: a select has a handful of cases).
    int nl = 0;
    for (int i = 0; i < n; ++i) {
      chan_core* c = cases[i].c;
      if (!c) continue;
      int k = nl;
      while (k > 0 && locked_[k - 1] > c) --k;
      if (k > 0 && locked_[k - 1] == c) continue;  // a second case on one channel
      for (int m = nl; m > k; --m) locked_[m] = locked_[m - 1];
      locked_[k] = c;
      ++nl;
    }
    locks_ = {locked_, nl};
  }
  ~select_plan() {
    if (order_ != order_buf_) {
      delete[] order_;
      delete[] locked_;
    }
  }
  select_plan(const select_plan&) = delete;
  select_plan& operator=(const select_plan&) = delete;

  int case_at(int k) const { return order_[k]; }  // the k-th case in poll order
  const lock_set& locks() const { return locks_; }

 private:
  static constexpr int small = 16;
  int order_buf_[small];
  chan_core* lock_buf_[small];
  int* order_;
  chan_core** locked_;
  lock_set locks_{};
};

wait_queue& queue_of(const select_case& sc) { return sc.is_send ? sc.c->sendq : sc.c->recvq; }

// Pass 1, the locks held: runs the first ready case in poll order and returns its index,
// with the locks released and its partner woken; or -1, the locks still held. A send on a
// closed channel throws, the locks released.
int run_ready_case(select_case* cases, int n, const select_plan& plan) {
  for (int k = 0; k < n; ++k) {
    const int i = plan.case_at(k);
    select_case& sc = cases[i];
    if (!sc.c) continue;
    chan_waiter* wake = nullptr;
    if (sc.is_send) {
      if (sc.c->closed) {
        plan.locks().unlock();
        throw closed_channel_error("goro: send on closed channel");
      }
      if (!try_send_locked(sc.c, sc.elem, &wake)) continue;
    } else {
      const recv_status st = try_recv_locked(sc.c, sc.elem, &wake);
      if (st == recv_status::would_block) continue;
      sc.ok = st == recv_status::received;
    }
    plan.locks().unlock();
    if (wake) wake->wake();  // W2: after the unlock
    return i;
  }
  return -1;
}

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
  const bool won = st->sel->winner.compare_exchange_strong(none, select_timeout,
                                                           std::memory_order_acq_rel);  // H3
  t->done();  // T3: its select may return from here on
  if (won) ready(f);
}

// Pass 2, the locks held: waits on every channel at once until a case wins or the deadline
// passes; returns with the locks released and `sel.winner` set. Queued in poll order, not
// argument order: of two cases on one channel, either is first in its queue, so either wins
// a peer that comes later (Go queues in its lock order, which keeps the poll order among the
// cases of one channel).
void wait_for_a_case(select_case* cases, chan_waiter* waiters, int n, const select_plan& plan,
                     select_state& sel, std::int64_t deadline_ns) {
  for (int i = 0; i < n; ++i) {
    chan_waiter& w = waiters[i];  // constructed by make_waiters
    w.sel = &sel;
    w.index = i;
    w.word = &waiters[0].own_word;  // one futex word for a thread
    w.elem = cases[i].elem;
  }
  for (int k = 0; k < n; ++k) {
    const int i = plan.case_at(k);
    if (cases[i].c) queue_of(cases[i]).push(&waiters[i]);
  }
  select_timer t;
  select_park sp{plan.locks(), nullptr};
  const bool fiber_side = waiters[0].f != nullptr;
  if (deadline_ns >= 0 && fiber_side) {
    t.when = deadline_ns;
    t.fire = fire_select_timeout;
    t.sel = &sel;
    t.f = waiters[0].f;
    sp.t = &t;
  }
  if (plan.locks().n == 0 && deadline_ns < 0) {  // only nil channels, no deadline: never ready
    plan.locks().unlock();
    block_forever(wait_reason::select);
  }
  const bool woke =
      waiters[0].wait_with(release_select, &sp, wait_reason::select, fiber_side ? -1 : deadline_ns);
  if (!woke) {  // a thread's deadline passed: claim the timeout, unless a waker won first
    int none = -1;
    if (!sel.winner.compare_exchange_strong(none, select_timeout, std::memory_order_acq_rel)) {
      // A waker claimed us and is about to wake our word: wait for it (H4).
      while (waiters[0].own_word.load(std::memory_order_acquire) == 0)
        futex_wait(waiters[0].own_word, 0);
    }
  }
  if (sp.heap) timer_remove(sp.heap, &t);  // gone from the heap, or its fire() is done (T3)
}

// Constructs the waiters of a select that waits in `room` (waiter_room): n, and at least
// one, whose word and fiber a select of no channel case (a deadline alone) waits with.
chan_waiter* make_waiters(std::byte* room, int n) {
  fiber* f = current_fiber();
  auto* w = reinterpret_cast<chan_waiter*>(room);
  for (int i = 0; i < (n > 0 ? n : 1); ++i) ::new (static_cast<void*>(w + i)) chan_waiter(f);
  return std::launder(w);
}

// Pass 3: unlinks the waiters nobody took (H2), under the locks again, and reads the winner.
int finish(select_case* cases, chan_waiter* waiters, int n, const select_plan& plan,
           const select_state& sel) {
  plan.locks().lock();
  for (int i = 0; i < n; ++i)
    if (cases[i].c) queue_of(cases[i]).unlink(&waiters[i]);
  plan.locks().unlock();

  const int w = sel.winner.load(std::memory_order_acquire);
  if (w == select_timeout) return select_timeout;
  if (cases[w].is_send) {
    if (!waiters[w].ok) throw closed_channel_error("goro: send on closed channel");
  } else {
    cases[w].ok = waiters[w].ok;
  }
  return w;
}

}  // namespace

int select_impl(select_case* cases, std::byte* room, int n, bool has_default,
                std::int64_t deadline_ns) {
  const select_plan plan(cases, n);
  plan.locks().lock();
  if (const int i = run_ready_case(cases, n, plan); i >= 0) return i;
  if (has_default) {
    plan.locks().unlock();
    return select_default;
  }
  select_state sel;
  chan_waiter* waiters = make_waiters(room, n);
  wait_for_a_case(cases, waiters, n, plan, sel, deadline_ns);
  return finish(cases, waiters, n, plan, sel);
}

}  // namespace goro::detail
