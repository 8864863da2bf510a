// Internal. direct_switch: the switch away from a running fiber (switch_out) and what it
// needs inline: the next local fiber (runq_get) and the work the switched-to side does for
// the fiber that left (finish_switch_out). Inline in their callers (yield, park, a fiber's
// exit, goro::blocking, the scheduler loop): a call between a fiber and its jump saves and
// restores the registers the jump saves anyway (the suite at P=1, before and after: yield
// 34.7 -> 18.3 ns, ping-pong 119 -> 82.5 ns a round trip; perf/README.md).
#pragma once

#include <atomic>
#include <cstdint>

#include "deterministic/mode.hpp"
#include "fiber.hpp"
#include "machine.hpp"
#include "processor.hpp"
#include "scheduler.hpp"
#include "switch.hpp"
#include "trace/record.hpp"

namespace goro::detail {

inline constexpr std::uint32_t global_queue_interval = 61;  // as Go: a prime, to avoid patterns
inline constexpr std::uint32_t runnext_streak_limit = 61;

// Owner of p only. The next fiber to run: runnext (a bounded number of times in a row, so
// that two fibers readying each other cannot starve the queue), else the queue's next
// (its newest fresh fiber, else its oldest: run_queue.hpp), or its oldest if `oldest`.
// Inline: the switch path's (switch_out below) and the scheduler loop's.
[[gnu::always_inline]] inline fiber* runq_get(processor* p, bool oldest = false) {
  if (p->deterministic) [[unlikely]]
    return pick_runnable(p);  // the deterministic mode: no runnext
  // Acquire pairs with the release exchange in runq_put(): the fiber's state is visible.
  // Loaded first: the exchange (a locked instruction) only when there is something to take.
  if (p->runnext.load(std::memory_order_relaxed)) {
    if (p->runnext_streak < runnext_streak_limit) {
      if (fiber* f = p->runnext.exchange(nullptr, std::memory_order_acquire)) {
        ++p->runnext_streak;
        return f;
      }
    }
  }
  p->runnext_streak = 0;
  if (fiber* f = oldest ? p->runq.pop_front() : p->runq.pop()) return f;
  if (!p->runnext.load(std::memory_order_relaxed)) return nullptr;
  return p->runnext.exchange(nullptr, std::memory_order_acquire);
}

// after_switch's body (scheduler.hpp), inline in switch_out: what the side that receives
// control does for the fiber that switched out.
[[gnu::always_inline]] inline void finish_switch_out(machine* m, switch_record* r) {
  fiber* f = r->prev;
  if (!f) return;  // the scheduler switched to us: nothing to do
  check_stack(f);
  switch (r->action) {
    case switch_action::yield:
      f->state.store(fiber_state::runnable, std::memory_order_relaxed);
      runq_put(m->p, f, false);
      break;
    case switch_action::park:
      m->p->parks.inc();
      // F1, invariant 1: parked only now that its context is saved; then let wakers in.
      f->state.store(fiber_state::parked, std::memory_order_release);
      if (r->unlock) r->unlock(r->arg);
      break;
    case switch_action::exit:
      f->state.store(fiber_state::dead, std::memory_order_relaxed);
      tsan_destroy_fiber(f->ctx.tsan_fiber);
      fiber_unref(f);  // F2: the fiber's own reference; may return the stack to m->p
      break;
    case switch_action::requeue:
      f->state.store(fiber_state::runnable, std::memory_order_relaxed);
      global_put(f);
      break;
    case switch_action::run:
      break;
  }
}

// Switches the running fiber f out (rec says why): directly to the next fiber of m's
// processor when there is one, else to m's scheduler. Returns when f runs again.
[[gnu::always_inline]] inline void switch_out(machine* m, fiber* f, switch_record& rec,
                                              bool dying = false) {
  rec.prev = f;
  processor* p = m->p;
  // The next local fiber, directly (one jump instead of two), except every
  // global_queue_interval-th time: then the scheduler loop runs timers and looks at the
  // global queue (fairness), as it does whenever the local queues are empty.
  fiber* next = p && --p->direct_budget != 0 ? runq_get(p) : nullptr;
  const std::uint64_t why =
      static_cast<std::uint64_t>(rec.action) | static_cast<std::uint64_t>(f->reason) << 8;
  switch_record* r;
  if (next) {
    next->state.store(fiber_state::running, std::memory_order_relaxed);
    m->current = next;
    p->runs.inc();
    note_switch(m, next);
    trace_put(p, trace_kind::handoff, next->id, why);  // f's stop and next's run: one stamp
    r = switch_to(f->ctx, next->ctx, &rec, m->eh, dying);
  } else {
    if (p) trace_put(p, trace_kind::stop, f->id, why);
    m->current = nullptr;
    note_no_fiber(m);
    r = switch_to(f->ctx, m->sched_ctx, &rec, m->eh, dying);
  }
  // f runs again, maybe on another machine: re-read it (M3).
  finish_switch_out(current_m(), r);
}

}  // namespace goro::detail
