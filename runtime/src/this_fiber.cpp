#include <thread>

#include <goro/clock.hpp>
#include <goro/detail/futex.hpp>
#include <goro/this_fiber.hpp>

#include "debug/fatal.hpp"
#include "deterministic/mode.hpp"
#include "direct_switch.hpp"
#include "scheduler.hpp"

namespace goro::this_fiber {

using namespace goro::detail;

void yield() {
  machine* m = current_m();
  fiber* f = m ? m->current : nullptr;
  if (!f) {
    std::this_thread::yield();
    return;
  }
  // Nothing else could run here (no local or global work, no timer): a yield is a no-op,
  // except every global_queue_interval-th one, which goes through the scheduler loop.
  processor* p = m->p;
  if (p->runnext.load(std::memory_order_relaxed) == nullptr && p->runq.empty() &&
      sched().gq_size() == 0 && p->timers.next() == no_deadline && --p->direct_budget != 0) {
    check_stack(f);  // a scheduling point: the canary is checked as at a switch-out
    return;
  }
  switch_record rec;
  rec.action = switch_action::yield;
  switch_out(m, f, rec);
}

std::uint64_t id() noexcept {
  fiber* f = current_fiber();
  return f ? f->id : 0;
}

std::string_view name() noexcept {
  fiber* f = current_fiber();
  return f ? std::string_view(f->name) : std::string_view();
}

namespace {
struct sleeper : timer {
  fiber* f;
};
void wake_sleeper(timer* t) {
  fiber* f = static_cast<sleeper*>(t)->f;
  t->done();  // T3: the sleeper's frame may go as soon as it runs
  ready(f);
}
}  // namespace

void sleep_until(std::chrono::steady_clock::time_point deadline) {
  machine* m = current_m();
  fiber* f = m ? m->current : nullptr;
  if (!f) {  // a plain thread sleeps in real time, as long as the deadline is from goro::now()
    const auto now = goro::now();
    if (deadline > now) std::this_thread::sleep_for(deadline - now);  // no overflow
    return;
  }
  // steady_clock is CLOCK_MONOTONIC on Linux, the scale of timer_now_ns() (goro::now()).
  const std::int64_t when =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  if (when <= timer_now_ns()) {
    yield();
    return;
  }
  sleeper t;
  t.when = when;  // time_point::max(): queued as `never` (T4), it never comes due
  t.fire = wake_sleeper;
  t.f = f;
  timer_heap& heap = m->p->timers;
  heap.lock().lock();
  heap.push(&t);
  park_unlocking(heap.lock(), wait_reason::sleep);  // T2: fires only once parked
}

}  // namespace goro::this_fiber
