// M, the machine: an OS thread that runs fibers while it holds a processor. Its life: started
// for a processor (start_machine), the scheduler loop (machine_main, which asks
// scheduler.cpp's find_runnable for each fiber), asleep without a processor on the idle
// list (sleep_machine, where it may take a role: the timed waiter R3, the network poller
// N3), woken with a processor or for a role (note_wake), retired by the monitor (R5).
// Invariants M1-M4 in machine.hpp, R1-R5 in scheduler.hpp.
#include "machine.hpp"

#include <unistd.h>

#include <goro/detail/futex.hpp>

#include "chaos.hpp"
#include "debug/deadlock.hpp"
#include "debug/fatal.hpp"
#include "deterministic/mode.hpp"
#include "monitor.hpp"
#include "net/netpoll.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro::detail {

namespace {

// Initial-exec (M3), so that the SIGSEGV handler may read it (async-signal-safe).
thread_local machine* tls_m __attribute__((tls_model("initial-exec"))) = nullptr;

// Takes an idle machine off the idle list for work: one without a role (timed waiter,
// poller) if there is one (R4). Lock held.
machine* midle_take_locked(scheduler& s) GORO_REQUIRES(s.lock) {
  machine** pick = nullptr;
  for (machine** pm = &s.midle; *pm; pm = &(*pm)->idle_link) {
    if (!pick) pick = pm;
    if (*pm != s.timed_waiter && *pm != s.poller.load(std::memory_order_relaxed)) {
      pick = pm;
      break;
    }
  }
  if (!pick) return nullptr;
  machine* m = *pick;
  *pick = m->idle_link;
  s.nmidle.fetch_sub(1, std::memory_order_seq_cst);
  return m;
}

// A machine object for a new thread: a retired one (R5) or a new one; nullptr when the live
// machines are at options.max_threads. Lock held.
machine* machine_new_locked(scheduler& s) GORO_REQUIRES(s.lock) {
  if (live_machines_locked(s) >= static_cast<std::size_t>(s.max_threads)) return nullptr;
  if (!s.mdead.empty()) {
    machine* m = s.mdead.back();
    s.mdead.pop_back();
    m->retire = false;
    m->note.store(0, std::memory_order_relaxed);
    m->polling.store(false, std::memory_order_relaxed);
    m->thread = std::thread();
    return m;
  }
  auto* m = new machine;
  m->id = static_cast<int>(s.all_ms.size());
  m->rng = seed_for(s.seed, 0x100 + static_cast<std::uint64_t>(m->id));
  s.all_ms.push_back(m);
  return m;
}

// Switches from the scheduler to f. Returns once some fiber switches back to this
// machine's scheduler context, after acting on its record.
void run(machine* m, fiber* f) {
  f->state.store(fiber_state::running, std::memory_order_relaxed);
  m->current = f;
  m->p->runs.inc();
  note_switch(m, f);
  trace_put(m->p, trace_kind::run, f->id);
  switch_record rec;
  switch_record* r = switch_to(m->sched_ctx, f->ctx, &rec, m->eh);
  // Back on this machine's own stack (M1), from whichever fiber ran last here.
  m->current = nullptr;
  note_no_fiber(m);
  after_switch(m, r);
}

void machine_main(machine* m) {
  tls_m = m;
  m->tid.store(static_cast<int>(::gettid()), std::memory_order_relaxed);
  m->eh = thread_eh_state();
  m->altstack = make_altstack();
  m->sched_ctx.tsan_fiber = tsan_current_fiber();
  m->p = std::exchange(m->next_p, nullptr);  // handed over by start_machine (M2)
  if (m->p) m->p->m = m;
  for (;;) {
    fiber* f = find_runnable(m);
    if (!f) break;
    if (migrate_mode.load(std::memory_order_relaxed)) [[unlikely]] {
      if (f->last_m == m) {  // ran here last: another machine runs it, with the processor
        processor* p = std::exchange(m->p, nullptr);
        p->m = nullptr;
        stop_spinning(m);
        start_machine(p, false, f);
        continue;  // no processor: find_runnable sleeps until handed one
      }
      f->last_m = m;
    }
    stop_spinning(m);
    run(m, f);
  }
  if (m->spinning) {
    m->spinning = false;
    sched().nmspinning.fetch_sub(1, std::memory_order_seq_cst);
  }
  if (processor* p = std::exchange(m->p, nullptr)) {
    guard g(sched().lock);
    pidle_put_locked(sched(), p);
  }
  free_altstack(std::exchange(m->altstack, nullptr));
  tls_m = nullptr;
}

}  // namespace

__attribute__((noinline)) machine* current_m() noexcept {
  // M3: an empty asm keeps the compiler from caching the TLS address across calls.
  asm volatile("" ::: "memory");
  return tls_m;
}

__attribute__((noinline)) fiber* current_fiber() noexcept {
  machine* m = current_m();
  return m ? m->current : nullptr;
}

void note_wake(machine* m) {
  sched().machine_wakeups.fetch_add(1, std::memory_order_relaxed);
  // Pairs with the acquire load in sleep_machine(): next_p (written under the lock before
  // this) is visible to the woken machine.
  // M4: read before the store: once note is 1, m may run, end and (at shutdown) be freed.
  // polling is stable while m sleeps on the idle list, where the waker found it.
  const bool polling = m->polling.load(std::memory_order_acquire);
  m->note.store(1, std::memory_order_release);
  if (polling) {
    netpoll_break();
  } else {
    futex_wake(m->note);  // a syscall on the address: harmless if m has gone meanwhile
  }
}

// Gives processor p to an idle machine (or a new one), spinning or not; with `first`, the
// fiber it runs first (migrate mode).
void start_machine(processor* p, bool spinning, fiber* first) {
  GORO_CHAOS_POINT(start_machine);
  auto& s = sched();
  machine* m;
  {
    guard g(s.lock);
    if (s.stopping.load(std::memory_order_acquire)) {  // no new machines while stopping
      pidle_put_locked(s, p);
      if (spinning) s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
      return;
    }
    m = midle_take_locked(s);
    if (!m) {
      m = machine_new_locked(s);
      if (!m) {
        const std::size_t live = live_machines_locked(s);
        s.lock.unlock();  // fatal() dumps nothing, but never with the lock held
        fatal(
            "program exceeds the limit of {} threads (options.max_threads; {} machines "
            "live, most inside goro::blocking)",
            s.max_threads, live);
      }
      m->next_p = p;
      m->next_f = first;
      m->spinning = spinning;
      try {
        m->thread = std::thread(machine_main, m);
      } catch (const std::system_error& e) {
        s.lock.unlock();
        fatal("cannot start a thread for machine {}: {}", m->id, e.what());
      }
      return;
    }
    m->next_p = p;
    m->next_f = first;
    m->spinning = spinning;
  }
  note_wake(m);
}

// The machine has no processor: it sleeps until handed one (M2). Returns false when the
// runtime is stopping.
bool sleep_machine(machine* m) {
  auto& s = sched();
  for (;;) {
    std::int64_t deadline = -1;
    {
      guard g(s.lock);
      if (s.stopping.load(std::memory_order_acquire)) return false;
      m->note.store(0, std::memory_order_relaxed);
      m->idle_link = s.midle;
      m->idle_since = coarse_monotonic_ns();
      s.midle = m;
      s.nmidle.fetch_add(1, std::memory_order_seq_cst);
      // R5, MO1: a machine beyond the processors' needs went idle: the sleeping monitor
      // retires it in time.
      if (s.monitor_asleep && s.nmidle.load(std::memory_order_relaxed) > s.nprocs &&
          m->idle_since + s.machine_idle_timeout < s.monitor_deadline)
        monitor_wake_locked(s);
      if (deadlocked_locked(s)) report_deadlock();  // D1: nothing can wake any fiber
      // N3: fibers wait for I/O and no machine polls: this one blocks in the poller.
      if (!s.poller.load(std::memory_order_relaxed) && netpoll_waiters() > 0) {
        s.poller.store(m, std::memory_order_release);
        m->polling.store(true, std::memory_order_release);
      }
      // R3: busy processors run their own timers. In the deterministic mode timers are on
      // the virtual clock: the machine that gets the processor back advances it (V2).
      if (!s.timed_waiter && !deterministic_mode.load(std::memory_order_relaxed)) {
        std::int64_t next = no_deadline;
        for (auto* p = s.pidle; p; p = p->idle_link) next = std::min(next, p->timers.next());
        if (next != no_deadline) {
          s.timed_waiter = m;
          s.timed_deadline.store(next, std::memory_order_seq_cst);
          deadline = next;
        }
      }
    }
    s.machine_sleeps.fetch_add(1, std::memory_order_relaxed);
    GORO_CHAOS_POINT(sleep_machine);
    // Pairs with the release store in note_wake().
    while (m->note.load(std::memory_order_acquire) == 0) {
      if (m->polling.load(std::memory_order_relaxed)) {
        netpoll(deadline);  // readies what it finds: global queue, wakep (maybe us)
      } else {
        futex_wait(m->note, 0, deadline);
      }
      if (deadline >= 0 && monotonic_ns() >= deadline) break;
    }
    processor* p;
    bool timed_out = false;
    bool had_role = false;
    {
      guard g(s.lock);
      if (s.timed_waiter == m) {
        s.timed_waiter = nullptr;
        s.timed_deadline.store(no_deadline, std::memory_order_seq_cst);
        had_role = true;
      }
      if (m->polling.load(std::memory_order_relaxed)) {  // M4
        m->polling.store(false, std::memory_order_release);
        s.poller.store(nullptr, std::memory_order_release);
        had_role = true;
      }
      if (m->retire) return false;  // R5: taken off the idle list by the monitor
      p = std::exchange(m->next_p, nullptr);
      if (!p) {
        // Woken by a timer, a kick or stop: still on the idle list; take ourselves off.
        for (machine** pm = &s.midle; *pm; pm = &(*pm)->idle_link) {
          if (*pm == m) {
            *pm = m->idle_link;
            s.nmidle.fetch_sub(1, std::memory_order_relaxed);
            break;
          }
        }
        if (s.stopping.load(std::memory_order_acquire)) return false;
        p = pidle_get_locked(s);  // run the timers that are due (or recompute the wait)
        timed_out = p != nullptr;
      }
    }
    if (p) {
      m->p = p;
      p->m = m;
      if (timed_out) {  // look at every processor's timers: count as spinning
        m->spinning = true;
        s.nmspinning.fetch_add(1, std::memory_order_seq_cst);
      } else if (had_role) {
        cover_idle_duties();  // R4: taken for work while holding a role: re-elect
      }
      return true;
    }
  }
}

void wake_all_idle_machines() {
  auto& s = sched();
  guard g(s.lock);
  for (machine* m = s.midle; m; m = m->idle_link) note_wake(m);
}

}  // namespace goro::detail
