// The scheduler: where a runnable fiber waits, and how a machine finds the next one.
//
// goro runs fibers (G, fiber.hpp) on OS threads (M, machine.hpp) that each hold one of a
// fixed number of processors (P, processor.hpp) while they run fibers; a thread without a
// processor sleeps. Everything in this file is a decision made by a machine that holds a
// processor, about that processor's work; machine.cpp is the machine's side (its loop, its
// sleep on the idle list, its wake-up), and the monitor (monitor.cpp) is the backstop that
// takes over what a busy or sleeping machine cannot do.
//
// Where a runnable fiber waits. A fiber readied by a fiber goes to its processor's runnext
// slot (it runs next, as the partner of a ping-pong should), pushing the previous one to
// the back of the local run queue; a spawn goes to the back of the local queue marked
// fresh, a yield to the back unmarked (run_queue.hpp: fresh fibers run newest first, the
// others oldest first, so fork-join trees run depth first and readied fibers in order). A
// full local queue spills its older half to the global queue (global_queue.hpp), which
// also takes what plain threads ready or spawn.
//
// How a machine finds work (find_runnable): its own timers first, then, every 61st pass,
// the global queue and the poller (fairness: a busy processor would otherwise never look),
// then runnext and the local queue, the global queue, the poller without blocking, and
// finally other processors: their due timers and half of their queues (steal_work). A
// switch between two fibers of one processor goes directly from one to the other
// (switch_out), through this loop only every 61st time or when the queue is empty.
//
// Spinning and waking (R2). A machine that finds nothing spins a while looking for work
// before it gives its processor back, but at most half the busy processors' machines spin
// at once. Whoever makes work runnable calls wakep(), which starts a spinning machine only
// if there is an idle processor and no spinner already; the last spinner to find work
// wakes the next one. The two sides order their writes and reads so that work is never
// left queued with a processor idle and nobody spinning (the Dekker pair in R2).
//
// Hand-off. A fiber that enters goro::blocking keeps its thread, so its processor is handed
// to another machine (hand_off); a processor that goes idle while its machine does not
// has its duties (timers, the poller: R3, R4) handed to an idle machine
// (cover_idle_duties). Idle processors' timers are watched by one idle machine sleeping
// with a timeout (the timed waiter, R3) and the sockets by one blocked in epoll (N3).
//
// The rules are R1-R5 in scheduler.hpp, M1-M4 in machine.hpp; the model, the seams, the
// lock order and what was measured and dropped are in docs/design.md.
#include "scheduler.hpp"

#include <algorithm>
#include <mutex>

#include "chaos.hpp"
#include "debug/fatal.hpp"
#include "debug/hooks.hpp"
#include "deterministic/mode.hpp"
#include "direct_switch.hpp"
#include "monitor.hpp"
#include "net/netpoll.hpp"
#include "trace/record.hpp"

namespace goro::detail {

// Never destroyed: machines may outlive statics. Published for debuggers (DH1).
scheduler* g_sched = goro_debug_scheduler = new scheduler;

namespace {

constexpr int steal_rounds = 4;

// xorshift64*: a small, fast generator for scheduling choices (not for cryptography).
std::uint64_t xorshift(std::uint64_t& x) {
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  return x * 0x2545F4914F6CDD1DULL;
}

std::uint64_t next_random(machine* m) { return xorshift(m->rng); }  // steal order only

// Takes one fiber to run from the global queue and, if `batch`, moves a fair share more
// onto p's (empty) local queue. Lock held.
fiber* gq_get_locked(scheduler& s, processor* p, bool batch) GORO_REQUIRES(s.lock) {
  fiber* f = s.gq.pop();
  if (!f || !batch) return f;
  std::size_t n = static_cast<std::size_t>(s.gq.size()) / s.nprocs + 1;
  fiber* more[run_queue::capacity / 2];
  n = s.gq.pop_batch(more, std::min<std::size_t>(n, run_queue::capacity / 2));
  for (std::size_t i = 0; i < n; ++i) {
    if (!p->runq.push(more[i])) {  // only if thieves refilled it meanwhile: keep the rest
      s.gq.push_batch(more + i, n - i);
      break;
    }
  }
  return f;
}

// Steals from another processor: half its queue, or its runnext in the last round.
fiber* steal_work(machine* m) {
  auto& s = sched();
  processor* me = m->p;
  const int n = s.nprocs;
  for (int round = 0; round < steal_rounds; ++round) {
    const bool last = round == steal_rounds - 1;
    int start = static_cast<int>(next_random(m) % n);
    for (int i = 0; i < n; ++i) {
      processor* victim = s.ps[(start + i) % n];
      if (victim == me) continue;
      if (run_timers(victim, me, true))  // due timers of a busy or idle P ready onto `me`
        if (fiber* f = runq_get(me)) return f;
      if (auto got = victim->runq.steal_into(me->runq)) {
        me->steals.inc();
        me->stolen.inc(got);
        trace_put(me, trace_kind::steal, 0, static_cast<std::uint64_t>(victim->id) | got << 16);
        return me->runq.pop();
      }
      if (last && victim->runnext.load(std::memory_order_relaxed)) {
        // The victim's owner is usually about to run its runnext (a ping-pong partner
        // just readied): give it ~3 us first, as Go does, instead of migrating the pair.
        // If the owner switched fibers meanwhile (its run count moved), it is keeping up
        // with its runnext itself: leave it (a stolen partner would bounce between
        // processors). Only an owner stuck in one fiber loses its runnext.
        const std::uint64_t runs = victim->runs.get();
        const std::int64_t until = monotonic_ns() + 3'000;
        while (monotonic_ns() < until) __builtin_ia32_pause();
        if (victim->runs.get() != runs) continue;
        fiber* f = victim->runnext.load(std::memory_order_acquire);
        // Pairs with the owner's exchange: exactly one of them takes f.
        if (f && victim->runnext.compare_exchange_strong(f, nullptr, std::memory_order_acq_rel)) {
          me->steals.inc();
          me->stolen.inc();
          trace_put(me, trace_kind::steal, 0, static_cast<std::uint64_t>(victim->id) | 1u << 16);
          return f;
        }
      }
    }
  }
  return nullptr;
}

// R2: the re-check of a machine that stopped spinning: any processor's queue, or the
// global queue (pushed by a plain thread whose wakep() saw this machine still spinning).
bool any_work(scheduler& s) {
  if (s.gq_size() > 0) return true;
  for (auto* p : s.ps)
    if (!p->runq.empty() || p->runnext.load(std::memory_order_seq_cst)) return true;
  return false;
}

// A spinning machine about to give up its processor first watches the queues for a few
// microseconds: work that arrives meanwhile (a thread spawning in a loop, the partner of a
// ping-pong on another processor) is then taken without a futex sleep and wake-up.
// Bounded in time, and only spinning machines (at most half the busy processors) do it, so
// an idle runtime still sleeps. Another processor's runnext is left alone: its owner is
// about to run it.
bool spin_for_work(scheduler& s) {
  constexpr std::int64_t spin_ns = 30'000;
  const std::int64_t start = monotonic_ns();
  do {
    for (int i = 0; i < 32; ++i) __builtin_ia32_pause();
    if (s.gq_size() > 0 || s.stopping.load(std::memory_order_relaxed)) return true;
    for (auto* p : s.ps)
      if (!p->runq.empty()) return true;
  } while (monotonic_ns() - start < spin_ns);
  return false;
}

}  // namespace

void pidle_put_locked(scheduler& s, processor* p) {
  p->m = nullptr;
  p->idle_link = s.pidle;
  s.pidle = p;
  s.npidle.fetch_add(1, std::memory_order_seq_cst);                                       // R2
  if (s.monitor_asleep && p->timers.next() < s.monitor_deadline) monitor_wake_locked(s);  // MO1
}

processor* pidle_get_locked(scheduler& s) {
  processor* p = s.pidle;
  if (!p) return nullptr;
  s.pidle = p->idle_link;
  s.npidle.fetch_sub(1, std::memory_order_seq_cst);
  if (s.monitor_asleep) monitor_wake_locked(s);  // MO1: the runtime is busy again
  return p;
}

void stop_spinning(machine* m) {
  if (!m->spinning) return;
  m->spinning = false;
  if (sched().nmspinning.fetch_sub(1, std::memory_order_seq_cst) == 1) wakep();
}

fiber* find_runnable(machine* m) {
  auto& s = sched();
  for (;;) {
    if (!m->p && !sleep_machine(m)) return nullptr;
    if (m->next_f) return std::exchange(m->next_f, nullptr);  // handed with the processor
    processor* p = m->p;
    if (s.stopping.load(std::memory_order_acquire)) return nullptr;

    // In migrate mode every switch comes through here (no direct switch): machine_main
    // then moves the fiber to another machine if it ran on this one last.
    p->direct_budget = migrate_mode.load(std::memory_order_relaxed) ? 1 : global_queue_interval;
    p->pass_clock = coarse_monotonic_ns();
    run_timers(p, p, false);
    // Fairness: now and then the global queue goes first, and the poller is looked at
    // (busy processors would otherwise see I/O only when they run out of work).
    // The same pass takes the local queue's oldest fiber, even if fresh ones wait behind
    // it (fresh fibers go newest first: a stream of spawns cannot starve an old fiber).
    const bool fairness_pass = ++p->schedtick % global_queue_interval == 0;
    if (fairness_pass) {
      if (netpoll_waiters() > 0 && !s.poller.load(std::memory_order_acquire)) netpoll(0);
      if (s.gq_size() > 0) {
        guard g(s.lock);
        if (fiber* f = gq_get_locked(s, p, false)) return f;
      }
    }
    if (fiber* f = runq_get(p, fairness_pass)) return f;
    if (s.gq_size() > 0) {
      guard g(s.lock);
      if (fiber* f = gq_get_locked(s, p, true)) return f;
    }
    // Fibers waiting for I/O and no machine blocked in the poller: poll without blocking
    // (what it readies lands on p's queue).
    if (netpoll_waiters() > 0 && !s.poller.load(std::memory_order_acquire) && netpoll(0) > 0)
      if (fiber* f = runq_get(p)) return f;
    // The deterministic mode: every fiber parked; time jumps to the next timer if nothing
    // else can wake one (deterministic/mode.hpp).
    if (p->deterministic && advance_clock(p)) continue;
    // Steal, if not too many machines are at it already: spinners ≤ half the busy Ps (not
    // in the deterministic mode: its one processor would only wait for plain threads).
    if (!p->deterministic &&
        (m->spinning || 2 * s.nmspinning.load(std::memory_order_seq_cst) <
                            s.nprocs - s.npidle.load(std::memory_order_seq_cst))) {
      if (!m->spinning) {
        m->spinning = true;
        s.nmspinning.fetch_add(1, std::memory_order_seq_cst);
      }
      if (fiber* f = steal_work(m)) return f;
      if (spin_for_work(s)) continue;
    }

    // Nothing to do: give the processor back.
    {
      guard g(s.lock);
      if (s.stopping.load(std::memory_order_acquire)) return nullptr;
      if (fiber* f = gq_get_locked(s, p, true)) return f;
      pidle_put_locked(s, p);
      m->p = nullptr;
    }
    if (m->spinning) {
      m->spinning = false;
      s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);  // R2: then re-check
      if (any_work(s)) {
        guard g(s.lock);
        if (processor* p2 = pidle_get_locked(s)) {
          m->p = p2;
          p2->m = m;
          m->spinning = true;
          s.nmspinning.fetch_add(1, std::memory_order_seq_cst);
          continue;
        }
      }
    }
    // Timers on the processor just released are covered by the timed waiter (R3). In the
    // deterministic mode, by whatever wakes the machine next (advance_clock).
    if (p->timers.next() != no_deadline && !p->deterministic)
      processor_given_back(p->timers.next());
  }
}

void report_canary_overflow(const fiber* f) {
  fiber_label l(f);
  fatal(
      "{} overflowed its {} KiB stack (canary overwritten; no guard page was left in the "
      "VMA budget); raise it with spawn options {{.stack_size = ...}}",
      l.text, f->stk.size / 1024);
}

void after_switch(machine* m, switch_record* r) { finish_switch_out(m, r); }

// The local queue is full: move its older half to the global queue (Go's runqputslow),
// then queue f here. Go moves f too, to the global queue's tail, and the half with it,
// which keeps FIFO order but sends fibers just readied (by a timer, a socket) behind the
// whole global backlog: behind a million spawns queued there, they were a second late.
// Here the fibers that ran before go to the global queue's ring for them, which takers
// serve before the fresh ones (global_queue.hpp), and the fresh ones to the fresh ring.
// Kept out of line: the fast path (runq_put, scheduler.hpp) stays small.
[[gnu::noinline]] void runq_put_slow(processor* p, fiber* f, bool fresh) {
  constexpr std::uint32_t half = run_queue::capacity / 2;
  fiber* batch[half + 1];
  bool is_fresh[half + 1];
  auto n = p->runq.pop_half(batch, is_fresh, half);
  if (!p->runq.push(f, fresh)) {  // room was made: only if the half was 0
    batch[n] = f;
    is_fresh[n++] = fresh;
  }
  fiber* ran[half + 1];
  std::uint32_t nr = 0, nf = 0;
  for (std::uint32_t i = 0; i < n; ++i) (is_fresh[i] ? batch[nf++] : ran[nr++]) = batch[i];
  auto& s = sched();
  guard g(s.lock);
  s.gq.push_batch(ran, nr);
  s.gq.push_fresh(batch, nf);
}

void global_put(fiber* f, gq_at where) {
  auto& s = sched();
  {
    guard g(s.lock);
    switch (where) {
      case gq_at::tail:
        s.gq.push(f);
        break;
      case gq_at::head:
        s.gq.push_front(&f, 1);
        break;
      case gq_at::fresh:
        s.gq.push_fresh(&f, 1);
        break;
    }
  }
  wakep();
}

void hand_off(processor* p) {
  GORO_CHAOS_POINT(hand_off);
  auto& s = sched();
  if (!p->runq.empty() || p->runnext.load(std::memory_order_acquire)) {
    start_machine(p, false);
    return;
  }
  bool idle;
  {
    // R2: the global queue is checked under the lock that global_put() pushes under, in
    // the same critical section that makes p idle: a fiber pushed before is seen here, and
    // the wakep() of one pushed after sees p idle. (Checked before taking the lock, a
    // push in between found no idle processor, and then p went idle: the fiber stayed
    // queued with nobody to run it.)
    guard g(s.lock);
    idle = s.gq.size() == 0;
    if (idle) pidle_put_locked(s, p);
  }
  if (!idle) {
    start_machine(p, false);
    return;
  }
  // R4: p is idle, its machine is not: p's timers and the sockets fibers wait on need a
  // watcher (Go's handoffp -> wakeNetPoller).
  cover_idle_duties();
}

namespace {
// R4: nobody needs waking: no idle processor, or its timers have a timed waiter at least as
// early and the sockets have a poller. Lock held.
bool idle_duties_covered_locked(scheduler& s) GORO_REQUIRES(s.lock) {
  if (!s.pidle || deterministic_mode.load(std::memory_order_relaxed)) return true;
  if (netpoll_waiters() > 0 && !s.poller.load(std::memory_order_relaxed)) return false;
  std::int64_t next = no_deadline;
  for (auto* p = s.pidle; p; p = p->idle_link) next = std::min(next, p->timers.next());
  return next == no_deadline ||
         (s.timed_waiter && s.timed_deadline.load(std::memory_order_relaxed) <= next);
}
}  // namespace

bool cover_idle_duties() {
  auto& s = sched();
  {
    guard g(s.lock);
    if (s.stopping.load(std::memory_order_acquire) || idle_duties_covered_locked(s)) return false;
    // An idle machine woken without a processor re-elects the roles as it goes back to
    // sleep (sleep_machine).
    if (machine* m = s.midle) {
      note_wake(m);
      return true;
    }
  }
  processor* p = take_idle_processor();
  if (p) start_machine(p, false);  // it takes them
  return p != nullptr;
}

std::size_t live_machines_locked(const scheduler& s) { return s.all_ms.size() - s.mdead.size(); }

processor* take_idle_processor() {
  auto& s = sched();
  if (s.npidle.load(std::memory_order_seq_cst) == 0) return nullptr;
  guard g(s.lock);
  return pidle_get_locked(s);
}

void wakep_slow() {
  auto& s = sched();
  int zero = 0;
  if (s.nmspinning.load(std::memory_order_seq_cst) != 0 ||
      !s.nmspinning.compare_exchange_strong(zero, 1, std::memory_order_seq_cst))
    return;
  processor* p;
  {
    guard g(s.lock);
    p = pidle_get_locked(s);
  }
  if (!p) {
    s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    return;
  }
  start_machine(p, true);
}

void processor_given_back(std::int64_t when) {
  auto& s = sched();
  // R3: only idle machines need telling; a machine about to idle computes its own wait.
  if (when >= s.timed_deadline.load(std::memory_order_seq_cst) ||
      s.nmidle.load(std::memory_order_seq_cst) == 0)
    return;
  guard g(s.lock);
  // No timed waiter: the caller's sleep_machine takes the role under this lock, its deadline
  // computed over the idle processors, this one among them; or another machine that idles
  // first does, over the same list. (Waking an idle machine here cost a wake-up for nothing
  // each time a runtime went idle with a timer pending.)
  machine* m = s.timed_waiter;
  if (m && when < s.timed_deadline.load(std::memory_order_relaxed))
    note_wake(m);  // it re-computes its deadline (it has no next_p)
}

std::uint64_t seed_for(std::uint64_t seed, std::uint64_t stream) {
  // splitmix64 of (seed, stream): distinct, never-zero states for xorshift.
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return z ? z : 1;
}

std::uint32_t fast_random() noexcept {
  machine* m = current_m();
  if (m && m->p) return static_cast<std::uint32_t>(xorshift(m->p->rng) >> 32);  // owner (P1)
  thread_local std::uint64_t x = 0;
  if (x == 0) x = seed_for(reinterpret_cast<std::uintptr_t>(&x), monotonic_ns());
  return static_cast<std::uint32_t>(xorshift(x) >> 32);
}

std::uint64_t next_fiber_id(processor* p) {
  static std::atomic<std::uint64_t> next{1};
  constexpr std::uint64_t batch = 64;
  if (!p) return next.fetch_add(1, std::memory_order_relaxed);
  if (p->next_id == p->id_end) {
    p->next_id = next.fetch_add(batch, std::memory_order_relaxed);
    p->id_end = p->next_id + batch;
  }
  return p->next_id++;
}

}  // namespace goro::detail
