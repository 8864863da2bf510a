// goro::blocking: Go's entersyscall/exitsyscall with an immediate hand-off of the processor.
#include <goro/blocking.hpp>

#include "direct_switch.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro::detail {

bool enter_blocking() noexcept {
  machine* m = current_m();
  if (!m || !m->current) return false;  // a plain thread, or already inside blocking()
  // Inside, the fiber acts as a plain thread: goro waits block the thread (invariant 2).
  m->blocked = std::exchange(m->current, nullptr);
  m->in_blocking = true;
  note_no_fiber(m);  // a blocking call is allowed to block
  processor* p = std::exchange(m->p, nullptr);
  sched().nmblocking.fetch_add(1, std::memory_order_relaxed);
  trace_put(p, trace_kind::blocking_enter, m->blocked->id);
  hand_off(p);
  return true;
}

void exit_blocking() {
  machine* m = current_m();  // the same thread: nothing switched since enter_blocking()
  sched().nmblocking.fetch_sub(1, std::memory_order_relaxed);
  fiber* f = std::exchange(m->blocked, nullptr);
  m->in_blocking = false;
  m->current = f;
  note_switch(m, f);
  if (processor* p = take_idle_processor()) {
    m->p = p;
    p->m = m;
    trace_put(p, trace_kind::blocking_exit, f->id);
    trace_put(p, trace_kind::run, f->id);  // runs on p again
    return;
  }
  trace_put_any(nullptr, trace_kind::blocking_exit, f->id);
  // Every processor is busy: queue this fiber globally; this machine goes idle.
  switch_record rec;
  rec.action = switch_action::requeue;
  switch_out(m, f, rec);  // m has no processor: to the scheduler
}

}  // namespace goro::detail
