// after(), tick() and ticker: channels fed by the runtime's timers (see goro/time.hpp).
// A tick_state is shared by its timer and, for a ticker, its handle:
// TK1: `lock` guards stopped and heap; fire_tick() sends and re-queues under it, and
//      tick_stop() cancels under it, so that no tick is sent after stop() returns.
// TK2: refs counts the timer (while queued or firing) and the ticker handle; the last one
//      deletes the state.
// Lock order: a tick_state's lock, then a timer heap's lock or a channel's lock.
#include <fmt/format.h>

#include <goro/detail/fiber_api.hpp>
#include <goro/detail/timer_api.hpp>
#include <goro/error.hpp>
#include <goro/spawn.hpp>
#include <goro/time.hpp>

namespace goro::detail {

namespace {

time_point from_ns(std::int64_t ns) { return time_point(std::chrono::nanoseconds(ns)); }

// A1: an after() timer sends on its channel through a raw pointer, without a handle, so
//     that the channel dies with its last user's handle (Go 1.23: an after() nobody can
//     receive from any more is collected at once, not when it fires). `lock` guards core,
//     fired and abandoned, and decides who frees the timer; exactly one side does:
//     - abandon_after() (the channel's last release) clears core and sets abandoned, and,
//       unless the timer fired, cancels it, all under the lock. It frees the timer if it
//       had fired (once that firing is done: T3) or if the cancel took it off its heap
//       (it never fires then).
//     - fire_after() sets fired under the lock; it frees the timer if it finds it
//       abandoned: popped for firing before the cancel, it lost the lock to
//       abandon_after(), which left the timer to it.
//     Both decisions are made under the lock, so neither side touches the timer after the
//     other may have freed it.
// Lock order (as above): the after_timer's lock, then its heap's lock or its channel's.
struct after_timer : timer {
  spinlock lock;
  chan_core* core = nullptr;   // A1
  bool fired = false;          // A1
  bool abandoned = false;      // A1
  timer_heap* heap = nullptr;  // A1; set by after_ns() before the channel is handed out
};

void fire_after(timer* t) {
  auto* a = static_cast<after_timer*>(t);
  a->lock.lock();
  if (a->core) {
    time_point now = from_ns(timer_clock_ns());
    chan_send(a->core, &now, false);  // capacity 1 and the only send: never blocks
  }
  a->fired = true;
  const bool free_it = a->abandoned;  // A1: abandon_after() left it to us
  a->lock.unlock();
  t->done();  // T3
  if (free_it) delete a;
}

void abandon_after(void* arg) {
  auto* a = static_cast<after_timer*>(arg);
  a->lock.lock();
  a->core = nullptr;  // the channel is being freed
  a->abandoned = true;
  // A1: fired, or cancelled (off its heap for good: queued, or detached by a shutdown,
  // T5): ours to free. Neither: popped for firing; fire_after() frees it.
  const bool ours = a->fired || timer_cancel(a->heap, a);
  a->lock.unlock();
  if (!ours) return;
  a->wait_fired();  // a firing may still touch the timer until its done() (T3)
  delete a;
}

}  // namespace

struct tick_state : timer {
  chan<time_point> ch;
  std::int64_t period = 0;
  bool owned = false;          // a ticker handle holds a reference
  spinlock lock;               // TK1
  bool stopped = false;        // TK1
  timer_heap* heap = nullptr;  // TK1: where the timer is queued
  std::atomic<int> refs{1};    // TK2
};

namespace {

void unref(tick_state* s) noexcept {
  // acq_rel: the last owner sees the other's writes before it deletes.
  if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
}

void fire_tick(timer* t) {
  auto* s = static_cast<tick_state*>(t);
  s->lock.lock();
  // A tick() channel nobody holds any more: nobody will ever receive.
  if (!s->owned && s->ch.core()->refs.load(std::memory_order_acquire) == 1) s->stopped = true;
  if (s->stopped) {
    s->heap = nullptr;
    s->lock.unlock();
    t->done();
    unref(s);  // TK2: the timer's reference
    return;
  }
  const std::int64_t now = timer_clock_ns();
  s->ch.try_send(from_ns(now));  // dropped when the last tick is still unread
  // The next tick: the first multiple of the period after now (missed ones are skipped),
  // saturated (T4). A virtual clock at the end of time (`never`) ticks no more.
  s->when = deadline_after(now, s->period - (now - s->when) % s->period);
  t->done();
  if (now >= never) {
    s->stopped = true;
    s->heap = nullptr;
    s->lock.unlock();
    unref(s);  // TK2: the timer's reference
    return;
  }
  s->heap = timer_start(t);  // on this machine's processor
  s->lock.unlock();
}

}  // namespace

recv_chan<time_point> after_ns(std::int64_t ns) {
  ensure_started();
  chan<time_point> c(1);
  auto* a = new after_timer;
  a->core = c.core();                              // A1: no handle
  a->when = deadline_after(timer_clock_ns(), ns);  // saturated (T4)
  a->fire = fire_after;
  c.core()->on_last_release = abandon_after;  // the channel is not shared yet
  c.core()->on_last_release_arg = a;
  a->lock.lock();  // heap is set before abandon_after() can read it
  a->heap = timer_start(a);
  a->lock.unlock();
  return c;
}

std::int64_t checked_period(std::chrono::nanoseconds d) {
  if (d.count() <= 0)
    throw option_error(
        fmt::format("goro: tick: period {} ns: want a positive duration", d.count()));
  return d.count();
}

tick_state* tick_start(std::int64_t period_ns, chan<time_point> c, bool owned) {
  ensure_started();
  auto* s = new tick_state;
  s->ch = std::move(c);
  s->period = period_ns;
  s->owned = owned;
  s->refs.store(owned ? 2 : 1, std::memory_order_relaxed);
  s->when = deadline_after(timer_clock_ns(), period_ns);  // saturated (T4)
  s->fire = fire_tick;
  s->lock.lock();  // TK1: heap is set before the timer's first fire reads it
  s->heap = timer_start(s);
  s->lock.unlock();
  return owned ? s : nullptr;
}

void tick_stop(tick_state* s) noexcept {
  s->lock.lock();
  s->stopped = true;
  const bool cancelled = s->heap && timer_cancel(s->heap, s);  // else fire_tick() ends it
  if (cancelled) s->heap = nullptr;
  (void)s->ch.try_recv();  // no stale tick after stop()
  s->lock.unlock();
  if (cancelled) unref(s);  // TK2: the timer's reference
  unref(s);                 // the handle's
}

// --- timer ---
// U1: `lock` guards armed, heap and the channel's pending value; fire_timer() acts only
//     if the timer is still armed. stop/reset disarm under the lock, then, outside it,
//     remove() the timer from its heap and wait until no fire of it is in progress (a fire
//     must be able to take the lock to see that it was disarmed, and touches the timer
//     until its done()).
// U2: Go 1.23's rule: a time sent by a firing and not yet received counts as pending.
//     stop/reset discard it, under the lock that fire_timer() sends under, and report that
//     they stopped the timer before it fired (true), as for a timer still armed. So
//     `if (!t.reset(d)) t.c().recv();` never waits, and no stale time is received after
//     stop() or reset() returns.
// U3: a detached timer (timer::detach) has no handle: the side that ends it frees it. Under
//     the lock, detach() finds it armed and sets `detached`, and the fire that disarms it
//     frees it after its done(); or finds it disarmed (fired or stopped) and frees it once
//     no fire of it is in progress. Neither side touches it after the other may free it.
struct timer_state : timer {
  chan<time_point> ch;
  std::function<void()> fn;
  spinlock lock;               // U1
  bool armed = false;          // U1
  bool detached = false;       // U3, under lock
  timer_heap* heap = nullptr;  // U1: where it is queued while armed
};

namespace {

void fire_timer(timer* t) {
  auto* s = static_cast<timer_state*>(t);
  s->lock.lock();
  const bool act = s->armed;
  s->armed = false;
  s->heap = nullptr;
  if (act && !s->fn) s->ch.try_send(from_ns(timer_clock_ns()));  // capacity 1: room left
  std::function<void()> fn = act ? s->fn : nullptr;
  const bool free_it = act && s->detached;  // U3: nobody else will
  s->lock.unlock();
  t->done();  // T3: stop/reset may return (and the timer be freed) from here on
  if (free_it) delete s;
  if (fn) goro::go(std::move(fn));
}

// Disarms s; true if it was pending: armed, or fired with its time unreceived (U2).
// Returns once no fire() of it is in progress.
bool disarm(timer_state* s) noexcept {
  s->lock.lock();
  bool was = s->armed;
  timer_heap* h = s->heap;
  s->armed = false;
  s->heap = nullptr;
  if (s->ch && s->ch.try_recv()) was = true;  // U2: a fired, unreceived time is discarded
  s->lock.unlock();
  // U1: outside the lock. A fire in progress (popped, not yet done()) may still touch the
  // timer: wait for its done() (T3) whether it is past our lock (heap already cleared) or
  // not.
  if (h) timer_remove(h, s);
  s->wait_fired();
  return was;
}

}  // namespace

timer_state* timer_make(chan<time_point> c, std::function<void()> fn) {
  ensure_started();
  auto* s = new timer_state;
  s->ch = std::move(c);
  s->fn = std::move(fn);
  s->fire = fire_timer;
  return s;
}

bool timer_arm(timer_state* s, std::int64_t ns) {
  ensure_started();            // a reset after shutdown arms it on the next run
  const bool was = disarm(s);  // U2: no stale time after a reset
  s->lock.lock();
  s->when = deadline_after(timer_clock_ns(), ns);  // saturated (T4)
  s->armed = true;
  s->heap = timer_start(s);
  s->lock.unlock();
  return was;
}

bool timer_stop(timer_state* s) noexcept { return disarm(s); }

void timer_free(timer_state* s) noexcept {
  disarm(s);
  delete s;
}

void timer_detach(timer_state* s) noexcept {
  s->lock.lock();
  if (s->armed) {  // U3: its fire frees it
    s->detached = true;
    s->lock.unlock();
    return;
  }
  s->lock.unlock();
  s->wait_fired();  // fired or stopped: once no fire of it is in progress, it is ours (T3)
  delete s;
}

}  // namespace goro::detail
