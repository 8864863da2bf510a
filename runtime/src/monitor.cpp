// The system monitor (see monitor.hpp for what it backs up, MO1 and MO2).
#include "monitor.hpp"

#include <algorithm>
#include <thread>
#include <vector>

#include <goro/detail/futex.hpp>

#include "debug/watchdog.hpp"
#include "deterministic/mode.hpp"
#include "net/netpoll.hpp"
#include "scheduler.hpp"
#include "stack_pool.hpp"

namespace goro::detail {

namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t poll_gap = 10 * ms;     // N5: poll when nobody has for this long
constexpr std::int64_t timer_grace = 10 * ms;  // fire overdue timers after this long
constexpr std::int64_t kick_grace = 1 * ms;    // wake a machine for an idle P's timers
constexpr std::int64_t min_delay = 20'000;     // Go's sysmon: 20 us ...
constexpr std::int64_t max_delay = 10 * ms;    // ... up to 10 ms

struct counters {
  std::atomic<std::uint64_t> polls{0}, polled_ready{0}, timers_fired{0}, kicks{0}, retired{0},
      wakeups{0};
};
counters g_counts;  // statistics: relaxed

std::thread th;
std::atomic<bool> stop_requested{false};  // seq_cst: read by the monitor after each wake

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

// N5: fibers wait on sockets, no machine is blocked in epoll and nobody looked for 10 ms.
bool poll_network(std::int64_t now) {
  if (netpoll_waiters() == 0 || sched().poller.load(std::memory_order_acquire)) return false;
  const std::int64_t last = netpoll_last_poll();
  if (last == 0 || now - last < poll_gap) return false;
  bump(g_counts.polls);
  const int n = netpoll(0);  // readies onto the global queue and wakes a machine
  bump(g_counts.polled_ready, static_cast<std::uint64_t>(n));
  return n > 0;
}

// Overdue timers: an idle processor's get a machine (R4); any processor's overdue by more
// than timer_grace are fired here, from the heap's lock (try only: a machine at it now is
// doing the job).
bool check_timers() {
  bool acted = false, idle_overdue = false;
  const std::int64_t tnow = timer_now_ns();
  for (processor* p : sched().ps) {  // fixed while running
    const std::int64_t next = p->timers.next();
    if (next == no_deadline || tnow - next < kick_grace) continue;
    if (tnow - next >= timer_grace) {
      set_readies_go_first(true);  // the fibers are late: ahead of the global backlog
      const int n = p->timers.run_expired(tnow, true);
      set_readies_go_first(false);
      if (n) {
        bump(g_counts.timers_fired, static_cast<std::uint64_t>(n));
        acted = true;
      }
    } else {
      idle_overdue = true;  // whether p is idle: cover_idle_duties looks under the lock
    }
  }
  if (idle_overdue && cover_idle_duties()) {
    bump(g_counts.kicks);
    acted = true;
  }
  return acted;
}

// R5: idle machines beyond what the processors need, idle longer than the timeout, are
// taken off the idle list and told to end; their threads are joined here, their objects
// kept for reuse. Returns when the next one is due (no_deadline: none).
std::int64_t retire_machines(std::int64_t now) {
  auto& s = sched();
  std::vector<machine*> gone;
  std::int64_t next = no_deadline;
  {
    guard g(s.lock);
    const int keep = s.nprocs;
    for (machine** pm = &s.midle; *pm && s.nmidle.load(std::memory_order_relaxed) > keep;) {
      machine* m = *pm;
      const bool role = m == s.timed_waiter || m == s.poller.load(std::memory_order_relaxed);
      if (!role && now - m->idle_since >= s.machine_idle_timeout) {
        *pm = m->idle_link;
        s.nmidle.fetch_sub(1, std::memory_order_seq_cst);
        m->retire = true;
        gone.push_back(m);
        continue;
      }
      if (!role) next = std::min(next, m->idle_since + s.machine_idle_timeout);
      pm = &m->idle_link;
    }
    for (machine* m : gone) m->note.store(1, std::memory_order_release);  // pairs: sleep_machine
  }
  for (machine* m : gone) {
    futex_wake(m->note);
    m->thread.join();  // it ends at once: sleep_machine sees `retire`
  }
  if (!gone.empty()) {
    guard g(s.lock);
    for (machine* m : gone) s.mdead.push_back(m);  // R5: counted as gone only now
    bump(g_counts.retired, gone.size());
  }
  return next;
}

// MO1: every processor idle and the sockets watched: sleep until the earliest timer (plus
// the grace), machine retirement or stack scavenge (`scavenge_due`: no_deadline if none),
// or until the scheduler wakes us. Both deadlines are
// computed under the lock that sets monitor_asleep, so a machine that goes idle after it
// is seen asleep and wakes it (sleep_machine); one that went idle before is counted here.
// Returns false when the runtime is not idle (no sleep then).
bool sleep_if_idle(std::int64_t scavenge_due) {
  auto& s = sched();
  std::int64_t deadline = scavenge_due;
  {
    guard g(s.lock);
    if (s.npidle.load(std::memory_order_relaxed) != s.nprocs) return false;
    if (netpoll_waiters() > 0 && !s.poller.load(std::memory_order_relaxed)) return false;
    if (s.nmidle.load(std::memory_order_relaxed) > s.nprocs)  // R5: a retirement to come
      for (machine* m = s.midle; m; m = m->idle_link)
        if (m != s.timed_waiter && m != s.poller.load(std::memory_order_relaxed))
          deadline = std::min(deadline, m->idle_since + s.machine_idle_timeout);
    for (processor* p : s.ps) {
      const std::int64_t next = p->timers.next();
      // Saturating: a timer due "never" (T4) is far from the top of the range.
      if (next < no_deadline - timer_grace) deadline = std::min(deadline, next + timer_grace);
    }
    s.monitor_asleep = true;
    s.monitor_deadline = deadline;
    s.monitor_note.store(0, std::memory_order_relaxed);
  }
  // Pairs with the release store in monitor_wake_locked().
  while (s.monitor_note.load(std::memory_order_acquire) == 0 &&
         !stop_requested.load(std::memory_order_seq_cst)) {
    futex_wait(s.monitor_note, 0, deadline == no_deadline ? -1 : deadline);
    if (deadline != no_deadline && monotonic_ns() >= deadline) break;
  }
  guard g(s.lock);
  s.monitor_asleep = false;
  s.monitor_deadline = no_deadline;
  return true;
}

void loop() {
  auto& s = sched();
  constexpr std::int64_t retire_check = 1'000 * ms;     // while busy, look once a second
  constexpr std::int64_t scavenge_period = 1'000 * ms;  // K4 in stack_pool.hpp
  constexpr std::int64_t scavenge_gap = 10 * ms;        // between two full batches
  std::int64_t delay = min_delay;
  std::int64_t next_retire = 0;
  std::int64_t next_scavenge = monotonic_ns() + scavenge_period;
  auto& stacks = stack_pool::instance();
  while (!stop_requested.load(std::memory_order_seq_cst)) {
    std::int64_t now = monotonic_ns();
    bool acted = poll_network(now);
    acted |= check_timers();
    if (now >= next_retire) next_retire = std::min(retire_machines(now), now + retire_check);
    // K4: the free stacks no spawn took for a period give their pages back, a batch at a
    // time: between batches the monitor goes on with its other duties.
    if (now >= next_scavenge) {
      const bool more = stacks.scavenge();
      next_scavenge = now + (more ? scavenge_gap : scavenge_period);
    }
    const std::int64_t watch_next = watchdog_poll(now);
    if (acted) {
      delay = min_delay;
    } else {
      // Go doubles after 50 quiet rounds (its 20 us serves preemption, which goro lacks);
      // every grace here is 1 ms or more, so the delay doubles after every quiet round:
      // 10 ms is reached within ~10 ms instead of ~1 ms of 20 us wake-ups on a busy core.
      delay = std::min(delay * 2, max_delay);
    }
    // Idle: a sleep without a period (the watchdog has nothing to watch either), until the
    // next retirement that is due, if any; then the retirement check runs at once.
    std::int64_t wait = delay;
    // Free stacks beyond the reserve wait for a scavenge: one more wake-up, then none.
    if (s.npidle.load(std::memory_order_relaxed) == s.nprocs &&  // a hint; checked again
        sleep_if_idle(stacks.scavenge_pending() ? next_scavenge : no_deadline)) {
      bump(g_counts.wakeups);
      // Woken because a processor was taken, or for a deadline: nothing is due sooner than
      // the smallest grace, so the first look comes 1 ms later, not at once (a burst of work
      // on an idle runtime costs the monitor two wake-ups, not a round per 20 us).
      delay = min_delay;
      wait = kick_grace;
      next_retire = 0;
      now = monotonic_ns();
    }
    const std::int64_t until = std::min(now + wait, watch_next);
    // Only monitor_stop writes the note while we are not asleep (MO1): reset, then re-read
    // the stop flag (seq_cst, Dekker with monitor_stop's store then note write).
    s.monitor_note.store(0, std::memory_order_relaxed);
    while (!stop_requested.load(std::memory_order_seq_cst) && (now = monotonic_ns()) < until)
      futex_wait(s.monitor_note, 0, until);
    bump(g_counts.wakeups);
  }
}

}  // namespace

void monitor_wake_locked(scheduler& s) {
  s.monitor_asleep = false;
  s.monitor_note.store(1, std::memory_order_release);  // pairs with sleep_if_idle's acquire
  futex_wake(s.monitor_note);
}

void monitor_start() {
  if (deterministic_mode.load(std::memory_order_relaxed)) return;  // MO2
  stop_requested.store(false, std::memory_order_seq_cst);
  th = std::thread(loop);
}

void monitor_stop() {
  if (!th.joinable()) return;
  stop_requested.store(true, std::memory_order_seq_cst);
  {
    auto& s = sched();
    guard g(s.lock);
    s.monitor_note.store(1, std::memory_order_release);
    futex_wake(s.monitor_note);
  }
  th.join();
}

monitor_counts monitor_stats() noexcept {
  auto get = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return {get(g_counts.polls), get(g_counts.polled_ready), get(g_counts.timers_fired),
          get(g_counts.kicks), get(g_counts.retired),      get(g_counts.wakeups)};
}

}  // namespace goro::detail
