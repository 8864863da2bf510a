// Timers: each processor's heap (T1-T5 in timer_heap.hpp), where a new timer is queued
// (timer_start: on the caller's processor, else on an idle one, with its watcher told: R3),
// and how due timers run (run_timers: at each scheduling pass of a processor's owner, by
// thieves, and by the monitor for an idle runtime: monitor.cpp). The clock is the
// deterministic mode's (deterministic/mode.hpp): CLOCK_MONOTONIC, or virtual time.
#include <utility>

#include "chaos.hpp"
#include "deterministic/mode.hpp"
#include "machine.hpp"
#include "scheduler.hpp"
#include "timer_heap.hpp"
#include "trace/record.hpp"

namespace goro::detail {

namespace {
constexpr std::size_t arity = 4;

// Retired heaps, for later processors (T5). Allocated once and never destroyed: the heaps
// stay reachable (and usable by a late handle) until the process ends.
struct heap_pool {
  spinlock lock;
  std::vector<timer_heap*> retired GORO_GUARDED_BY(lock);
};
heap_pool& pool() {
  static heap_pool& p = *new heap_pool;
  return p;
}
}  // namespace

timer_heap& timer_heap::acquire() {
  heap_pool& p = pool();
  p.lock.lock();
  timer_heap* h = nullptr;
  if (!p.retired.empty()) {
    h = p.retired.back();
    p.retired.pop_back();
  }
  p.lock.unlock();
  return h ? *h : *new timer_heap;
}

void timer_heap::retire(timer_heap& h) {
  h.lock_.lock();
  // T5: they never fire. Release: pairs with the acquire load in remove()/cancel() of an
  // owner on another thread (which also takes lock_, so this is belt and braces).
  for (timer* t : h.heap_) t->state.store(timer::detached, std::memory_order_release);
  h.heap_.clear();
  h.heap_.shrink_to_fit();
  h.next_.store(no_deadline, std::memory_order_release);  // T1
  h.lock_.unlock();
  heap_pool& p = pool();
  p.lock.lock();
  p.retired.push_back(&h);
  p.lock.unlock();
}

void timer_heap::push(timer* t) {
  if (t->when > never) t->when = never;                      // T4
  t->state.store(timer::queued, std::memory_order_relaxed);  // lock_ orders it
  heap_.push_back(t);
  t->index = heap_.size() - 1;
  sift_up(heap_.size() - 1);
  next_.store(heap_.front()->when, std::memory_order_release);  // T1
}

void timer_heap::erase_at(std::size_t i) {
  timer* last = heap_.back();
  heap_.pop_back();
  if (i < heap_.size()) {
    place(i, last);
    sift_up(i);
    sift_down(last->index);
  }
  next_.store(heap_.empty() ? no_deadline : heap_.front()->when, std::memory_order_release);
}

timer* timer_heap::pop() {
  timer* top = heap_.front();
  erase_at(0);
  top->state.store(timer::firing, std::memory_order_relaxed);  // lock_ held
  return top;
}

bool timer_heap::remove(timer* t) {
  lock_.lock();
  const auto state = t->state.load(std::memory_order_acquire);  // pairs with retire()
  if (state == timer::queued || state == timer::detached) {
    if (state == timer::queued) erase_at(t->index);  // T5: a detached one is in no array
    t->state.store(timer::idle, std::memory_order_relaxed);
    lock_.unlock();
    return true;
  }
  lock_.unlock();
  t->wait_fired();  // popped by a machine that is firing it (T3)
  return false;
}

bool timer_heap::cancel(timer* t) {
  lock_.lock();
  const auto state = t->state.load(std::memory_order_acquire);  // pairs with retire()
  const bool out = state == timer::queued || state == timer::detached;
  if (out) {
    if (state == timer::queued) erase_at(t->index);  // T5: a detached one is in no array
    t->state.store(timer::idle, std::memory_order_relaxed);
  }
  lock_.unlock();
  return out;
}

bool timer_remove(timer_heap* h, timer* t) { return h->remove(t); }
bool timer_cancel(timer_heap* h, timer* t) { return h->cancel(t); }

int timer_heap::run_expired(std::int64_t now, bool try_only) {
  if (next() > now) return 0;
  if (try_only) {
    if (!lock_.try_lock()) return 0;
  } else {
    lock_.lock();
  }
  // Collect first, fire after unlocking: fire() may take other locks (a run queue, a
  // channel) and must never run under a heap lock.
  timer* due[64];
  int n = 0;
  while (n < 64 && !heap_.empty() && heap_.front()->when <= now) due[n++] = pop();
  lock_.unlock();
  if (n) GORO_CHAOS_POINT(timer_fire);  // popped (out of next()), not fired yet
  for (int i = 0; i < n; ++i) due[i]->fire(due[i]);
  return n;
}

std::size_t timer_heap::size() const {
  lock_.lock();
  auto n = heap_.size();
  lock_.unlock();
  return n;
}

void timer_heap::sift_up(std::size_t i) {
  timer* t = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / arity;
    if (heap_[parent]->when <= t->when) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void timer_heap::sift_down(std::size_t i) {
  timer* t = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t first = i * arity + 1;
    if (first >= n) break;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < first + arity && c < n; ++c)
      if (heap_[c]->when < heap_[best]->when) best = c;
    if (heap_[best]->when >= t->when) break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, t);
}

bool run_timers(processor* p, processor* me, bool try_only) {
  if (p->timers.next() == no_deadline) return false;
  const int n = p->timers.run_expired(timer_now_ns(), try_only);
  if (n) {
    me->timers_fired.inc(static_cast<std::uint64_t>(n));
    trace_put(me, trace_kind::timers, 0, static_cast<std::uint64_t>(n));
  }
  return n > 0;
}

// timer_api.hpp: a busy processor runs its own timers at each scheduling decision; an idle
// one's are watched by the timed waiter (R3).
timer_heap* timer_start(timer* t) {
  machine* m = current_m();
  if (m && m->p) {  // a busy processor runs its own timers at each scheduling decision
    timer_heap& h = m->p->timers;
    h.lock().lock();
    h.push(t);
    h.lock().unlock();
    return &h;
  }
  auto& s = sched();
  timer_heap* h;
  {
    guard g(s.lock);
    // Under the scheduler lock, so that an idle processor's timers and the timed wait
    // (computed under this lock in sleep_machine) agree (R3).
    processor* p = s.pidle ? s.pidle : s.ps[0];
    h = &p->timers;
    h->lock().lock();
    h->push(t);
    h->lock().unlock();
    if (!s.pidle) return h;  // p is busy: its owner runs it, or hands it to R3 on idling
    if (s.monitor_asleep && t->when < s.monitor_deadline) monitor_wake_locked(s);  // MO1
    machine* w = s.timed_waiter ? s.timed_waiter : s.midle;
    if (w) {
      if (w != s.timed_waiter || t->when < s.timed_deadline.load(std::memory_order_relaxed))
        note_wake(w);  // it re-computes its wait (it has no next_p)
      return h;
    }
  }
  // An idle processor and no idle machine (none started yet, or all inside blocking):
  // start one; it runs the due timers, then waits for the rest (R3).
  if (processor* p = take_idle_processor()) start_machine(p, false);
  return h;
}

}  // namespace goro::detail
