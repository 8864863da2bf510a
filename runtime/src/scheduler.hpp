// Internal. scheduler: the global half of Go's scheduler: processors, machines, the global
// run queue, idle lists, spinning accounting and the timed wait.
// Lock order: scheduler::lock, then a timer heap's lock, then a wait queue's spinlock.
// R1: `lock` guards the idle lists, the global run queue, `all_ms` and the timed waiter;
//     it is never held across a context switch.
// R2: a machine that stops spinning decrements nmspinning (seq_cst) and then re-checks every
//     run queue; a producer pushes and then reads nmspinning/npidle in wakep(). One of the
//     two always sees the other (Dekker), so runnable work never waits for an idle machine
//     while a processor is idle. (Work pushed on a running processor's own queue is run
//     by that processor in any case.)
// R3: at most one idle machine waits with a timeout: the timed waiter, with the earliest
//     timer of the idle processors as its deadline (a busy processor runs its own timers
//     at each scheduling decision). A processor that goes idle holding an earlier timer
//     kicks it.
// R4: the idle processors' duties (their timers: R3; the sockets fibers wait on: N3) are
//     covered whenever a processor goes idle without its machine going idle too: hand_off()
//     and a role holder taken for work (start_machine prefers idle machines without a role,
//     and one that loses its role re-elects) call cover_idle_duties(), which wakes an idle
//     machine to take the roles or starts one. The monitor (monitor.hpp) is the backstop.
// R5: machines beyond those the processors need are retired by the monitor after
//     options.machine_idle_timeout idle (their thread ends; the object is kept in `mdead`
//     and reused). Live machines never exceed options.max_threads: one more is a fatal
//     error naming the limit.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include <goro/detail/thread_safety.hpp>
#include <goro/runtime.hpp>

#include "fiber.hpp"
#include "global_queue.hpp"
#include "machine.hpp"
#include "processor.hpp"

namespace goro::detail {

struct scheduler {
  checked_mutex lock;          // R1
  std::vector<processor*> ps;  // fixed while running
  int nprocs = 0;
  processor* pidle GORO_GUARDED_BY(lock) = nullptr;
  std::atomic<int> npidle{0};  // written under lock, read anywhere (R2)
  machine* midle GORO_GUARDED_BY(lock) = nullptr;
  std::atomic<int> nmidle{0};                          // written under lock
  std::vector<machine*> all_ms GORO_GUARDED_BY(lock);  // ids are indexes
  std::vector<machine*> mdead GORO_GUARDED_BY(lock);   // R5: retired, thread joined
  int max_threads = 10'000;                            // R5: fixed while running
  std::int64_t machine_idle_timeout = 0;               // R5: ns; fixed while running
  global_queue gq GORO_GUARDED_BY(lock);               // G1, G2
  // G2: the global queue's length, read without the lock (a hint: re-checked under it).
  std::int64_t gq_size() const GORO_NO_THREAD_SAFETY_ANALYSIS { return gq.size(); }
  std::atomic<int> nmspinning{0};  // R2
  std::atomic<bool> stopping{false};
  std::uint64_t seed = 0;  // options.seed, or a fresh one; fixed while running
  machine* timed_waiter GORO_GUARDED_BY(lock) = nullptr;  // R3
  std::atomic<machine*> poller{nullptr};  // N3: the idle machine blocked in the network
                                          // poller; written under lock, read as a hint
  std::atomic<std::int64_t> timed_deadline{no_deadline};
  // The monitor (monitor.hpp): asleep without a period while the runtime is idle; whoever
  // takes an idle processor wakes it (MO1). monitor_deadline: when it wakes by itself.
  bool monitor_asleep GORO_GUARDED_BY(lock) = false;
  std::int64_t monitor_deadline GORO_GUARDED_BY(lock) = no_deadline;
  std::atomic<std::uint32_t> monitor_note{0};  // futex word, written under lock

  // Counters (relaxed: statistics only).
  std::atomic<std::uint64_t> machine_wakeups{0}, machine_sleeps{0};
  std::atomic<int> nmblocking{0};  // machines inside goro::blocking (stats only: relaxed)
};

// The one scheduler (created before main, never freed). Inline: every ready and spawn asks
// it whether a machine is idle.
extern scheduler* g_sched;
inline scheduler& sched() { return *g_sched; }

// Acts on the record of a switch, in the context that received control: puts the fiber
// that switched out back in a queue (yield, block), marks it parked and releases the
// waker's lock (park), or frees it (exit). Invariant 1 is kept here.
void after_switch(machine* m, switch_record* r);
// runq_put's path when p's queue is full: half of it moves to the global queue.
void runq_put_slow(processor* p, fiber* f, bool fresh);
// Puts a runnable fiber on `p`'s queue (in runnext if `next`; else at the back, taken
// before older fibers if `fresh`: it never ran, see run_queue.hpp), spilling to the global
// queue when full. Owner of p only. Inline: the path of every ready, spawn and yield.
inline void runq_put(processor* p, fiber* f, bool next, bool fresh = false) {
  if (next && !p->deterministic) {
    // Release: pairs with the acquire exchange in runq_get() / thieves' CAS.
    f = p->runnext.exchange(f, std::memory_order_acq_rel);
    if (!f) return;  // the old runnext (if any) goes to the tail
  }
  fresh = fresh && !next;  // a displaced runnext: readied, so it ran before
  if (!p->runq.push(f, fresh)) [[unlikely]]
    runq_put_slow(p, f, fresh);
}
// Puts a runnable fiber on the global run queue and wakes a machine if one is needed.
// Where global_put queues (global_queue.hpp): at the tail of the fibers that ran before,
// at their head, or with the fresh ones (a spawn from a plain thread).
enum class gq_at { tail, head, fresh };
void global_put(fiber* f, gq_at where = gq_at::tail);
// For the calling thread (the monitor, while it fires overdue timers): whether ready()
// from it queues at the global queue's head (see global_put).
void set_readies_go_first(bool first) noexcept;
// Gives away the processor of a machine entering goro::blocking: to a new machine if it has
// work, else to the idle list.
void hand_off(processor* p);
// Takes an idle processor, or nullptr.
processor* take_idle_processor();
// Wakes every idle machine (shutdown).
void wake_all_idle_machines();
// wakep's path when a processor is idle.
void wakep_slow();
// Wakes an idle machine to look for work if there is an idle processor and no spinner.
// Inline: a busy runtime (no idle processor) pays one load.
inline void wakep() {
  // R2: the caller's push happened before this load (seq_cst).
  if (sched().npidle.load(std::memory_order_seq_cst) != 0) wakep_slow();
}
// A processor holding a timer due at `when` was just given back by a machine that goes to
// sleep next: a timed waiter due later is woken to re-compute its wait (R3). With no timed
// waiter, nobody is woken: the caller takes the role in sleep_machine.
void processor_given_back(std::int64_t when);
// R4: wakes an idle machine (or starts one) if idle processors' timers or fibers waiting on
// sockets have nobody watching them; true if it did.
bool cover_idle_duties();
// The scheduler loop's half that machine.cpp runs: blocks until there is a fiber to run on m
// (which then holds a processor), or returns nullptr when the runtime stops.
fiber* find_runnable(machine* m);
// Stops m spinning; the last spinner to find work wakes another (Go's resetspinning).
void stop_spinning(machine* m);
// The idle processors' list (R1, R2; MO1 wakes the monitor). Lock held.
void pidle_put_locked(scheduler& s, processor* p) GORO_REQUIRES(s.lock);
processor* pidle_get_locked(scheduler& s) GORO_REQUIRES(s.lock);
// Runs the due timers of p (the caller's own, or a victim's), readying their fibers onto
// `me`; with `try_only`, not if p's heap is busy. True if any fired (timers.cpp).
bool run_timers(processor* p, processor* me, bool try_only);
// Live machines (not retired). Lock held.
std::size_t live_machines_locked(const scheduler& s) GORO_REQUIRES(s.lock);
// MO1: wakes the monitor if it sleeps. Lock held.
void monitor_wake_locked(scheduler& s) GORO_REQUIRES(s.lock);
// A never-zero generator state for stream `stream` of `seed` (splitmix64).
std::uint64_t seed_for(std::uint64_t seed, std::uint64_t stream);
// Next fiber id, from the caller's processor's batch (or the global counter).
std::uint64_t next_fiber_id(processor* p);
// Fibers spawned minus fibers ended outside any processor (fiber.cpp).
std::int64_t thread_fiber_balance() noexcept;

// The SIGSEGV handler and per-thread alternate stacks (debug/overflow.cpp).
void install_overflow_handler();
void* make_altstack();
void free_altstack(void* s);

}  // namespace goro::detail
