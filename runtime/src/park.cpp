// park / ready and the waiter built on them: the one waiting mechanism (invariant 1).
#include <sched.h>

#include <goro/detail/fiber_api.hpp>
#include <goro/detail/futex.hpp>
#include <goro/run.hpp>

#include "chaos.hpp"
#include "debug/fatal.hpp"
#include "direct_switch.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro::detail {

void spin_pause(unsigned spins) noexcept {
  // Pauses first; after 128 of them in one wait, let the holder's thread run (it may have
  // been preempted by the kernel while holding the lock).
  if (spins >= 128) {
    ::sched_yield();
  } else {
    __builtin_ia32_pause();
  }
}

void spinlock::lock_contended() noexcept {
  // S3: 8, 16, ... 128 pauses between looks (the buffered workload at P=2: 1:1 43 -> 19 ns
  // per item; 4:4 depends on code layout, perf/README.md). The acquire pairs with unlock()'s
  // release.
  constexpr unsigned max_backoff = 128;
  unsigned backoff = 8;
  for (unsigned spins = 0;; ++spins) {
    for (unsigned i = 0; i < backoff; ++i) __builtin_ia32_pause();
    if (backoff < max_backoff) backoff *= 2;
    if (!locked_.load(std::memory_order_relaxed) &&
        !locked_.exchange(true, std::memory_order_acquire))
      return;
    // After 8 + 16 + ... + 128 = 248 pauses (about 12 us here; a pause takes ~50 ns on
    // this VM), every look that fails yields the thread: the holder's thread may have been
    // preempted, and on a machine with more threads than cores spinning on would keep it off.
    if (spins >= 4) ::sched_yield();
  }
}

const char* to_string(wait_reason r) noexcept {
  switch (r) {
    case wait_reason::none:
      return "running";
    case wait_reason::join:
      return "join";
    case wait_reason::wait_group:
      return "wait_group wait";
    case wait_reason::sleep:
      return "sleep";
    case wait_reason::chan_send:
      return "chan send";
    case wait_reason::chan_receive:
      return "chan receive";
    case wait_reason::select:
      return "select";
    case wait_reason::mutex:
      return "mutex lock";
    case wait_reason::rwmutex_lock:
      return "rwmutex lock";
    case wait_reason::rwmutex_rlock:
      return "rwmutex rlock";
    case wait_reason::cond:
      return "condition wait";
    case wait_reason::semaphore:
      return "semaphore acquire";
    case wait_reason::io:
      return "io wait";
  }
  return "?";
}

void park(wait_reason reason, void (*unlock)(void*), void* arg) {
  machine* m = current_m();
  fiber* f = m ? m->current : nullptr;
  GORO_CHECK(f, "park called outside a fiber");
  f->reason = reason;
  f->parked_since = m->p ? m->p->pass_clock : coarse_monotonic_ns();  // for dumps
  switch_record rec;
  rec.action = switch_action::park;
  rec.unlock = unlock;
  rec.arg = arg;
  switch_out(m, f, rec);
  // Resumed by ready(), maybe on another machine: re-read any current_*() (M3).
  f->reason = wait_reason::none;
}

namespace {
// Set on the monitor's thread while it fires overdue timers (set_readies_go_first).
thread_local bool readies_go_first = false;
}  // namespace

void set_readies_go_first(bool first) noexcept { readies_go_first = first; }

void ready(fiber* f) {
  // F1: only a parked fiber can be readied, exactly once. Acquire pairs with the release
  // store of `parked` by the scheduler that switched it out (or by a dump, DU1).
  auto expected = fiber_state::parked;
  for (unsigned spins = 0;
       !f->state.compare_exchange_weak(expected, fiber_state::runnable, std::memory_order_acq_rel);
       ++spins) {
    if (expected == fiber_state::parked) continue;  // spurious failure
    if (expected == fiber_state::inspected) {       // a dump is reading its stack: wait
      spin_pause(spins);
      expected = fiber_state::parked;
      continue;
    }
    fiber_label l(f);
    fatal("ready of {} which is not parked (state {}): a double wake-up", l.text,
          static_cast<int>(expected));
  }
  machine* m = current_m();
  trace_put_any(m ? m->p : nullptr, trace_kind::ready, f->id, 0, trace_stamp::slice);
  if (m && m->p) {
    runq_put(m->p, f, true);
    wakep();
  } else {
    GORO_CHAOS_POINT(ready_thread);  // runnable, not queued yet (D3 sees it awake)
    // A plain thread, or a machine inside goro::blocking; the monitor's overdue timers go
    // first (their fibers are late already: behind a backlog of spawns they would wait
    // for all of it).
    global_put(f, readies_go_first ? gq_at::head : gq_at::tail);
  }
}

namespace {
// Released on the other side of a switch: the analysis cannot follow (thread_safety.hpp).
void unlock_spinlock(void* l) GORO_NO_THREAD_SAFETY_ANALYSIS {
  static_cast<spinlock*>(l)->unlock();
}
}  // namespace

void waiter::wait(spinlock& lock, wait_reason reason) GORO_NO_THREAD_SAFETY_ANALYSIS {
  wait_with(unlock_spinlock, &lock, reason);  // releases `lock` after the switch-out
}

void park_unlocking(spinlock& lock, wait_reason reason) GORO_NO_THREAD_SAFETY_ANALYSIS {
  park(reason, unlock_spinlock, &lock);  // releases `lock` after the switch-out
}

bool waiter::wait_with(void (*unlock)(void*), void* arg, wait_reason reason,
                       std::int64_t deadline_ns) {
  if (f) {
    park(reason, unlock, arg);  // unlock runs after the switch-out
    return true;
  }
  // A plain thread (invariant 2). With a deadline it will wake by itself: it counts as
  // active for the deadlock report (D2), from before it could be seen waiting.
  if (deadline_ns >= 0) active_threads_add(1);
  unlock(arg);
  bool woken = true;
  // Pairs with the release store in wake().
  while (word->load(std::memory_order_acquire) == 0) {
    futex_wait(*word, 0, deadline_ns);
    if (deadline_ns >= 0 && word->load(std::memory_order_acquire) == 0 &&
        monotonic_ns() >= deadline_ns) {
      woken = false;
      break;
    }
  }
  if (deadline_ns >= 0) active_threads_add(-1);
  return woken;
}

void wake_all(waiter* chain) {
  while (chain) {
    waiter* next = chain->next;  // W2: before wake()
    chain->wake();
    chain = next;
  }
}

void waiter::wake() {
  if (fiber* fib = f) {
    ready(fib);
    return;
  }
  // W2: the waiting thread may return and destroy *this right after the store; the futex
  // wake on its (still mapped) stack address is then at worst a spurious wake.
  std::atomic<std::uint32_t>* w = word;
  w->store(1, std::memory_order_release);
  futex_wake(*w);
}

}  // namespace goro::detail
