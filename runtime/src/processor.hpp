// Internal. processor: Go's P, the right to run fibers. A machine (M) must hold one to run
// fibers; there are `procs` of them.
// P1: the fields marked "owner" are touched only by the machine holding the processor
//     (handed over under the scheduler lock, which orders the hand-off).
// P2: counters are written by the owner alone with relaxed load+store (no RMW needed) and
//     read by anyone with relaxed loads (stats() is a snapshot of hints).
#pragma once

#include <atomic>
#include <cstdint>

#include "run_queue.hpp"
#include "stack_pool.hpp"
#include "timer_heap.hpp"

namespace goro::detail {

struct machine;
class trace_ring;

struct counter {
  std::atomic<std::uint64_t> v{0};
  void inc(std::uint64_t n = 1) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }  // P2
  std::uint64_t get() const { return v.load(std::memory_order_relaxed); }
};

struct processor {
  int id = 0;
  run_queue runq;
  // The fiber readied last, run next (ping-pong latency). Owner exchanges; thieves CAS.
  std::atomic<fiber*> runnext{nullptr};
  timer_heap& timers = timer_heap::acquire();  // outlives the processor (T5)
  stack_cache stacks;                          // owner (K2)
  machine* m = nullptr;                        // owner, or the scheduler lock when idle
  processor* idle_link = nullptr;              // scheduler lock
  std::uint32_t schedtick = 0;                 // owner: scheduler-loop decisions
  std::uint32_t direct_budget = 1;             // owner: direct fiber-to-fiber switches left before
                                               // the next pass through the scheduler loop
  std::uint32_t runnext_streak = 0;            // owner: consecutive runs from runnext
  std::uint64_t next_id = 0, id_end = 0;       // owner: a batch of fiber ids
  std::uint64_t rng = 0;                       // owner: select's random choices (seeded at start)
  // owner: CLOCK_MONOTONIC_COARSE ns at the last pass through the scheduler loop. Fibers
  // parking take it as their park time (a dump's "waiting N s"): one clock read per pass
  // instead of one per park. Early by at most the time since that pass, which comes at
  // least every 61 switches (direct_budget) and whenever the queue runs dry.
  std::int64_t pass_clock = 0;
  // owner: the deterministic mode (deterministic/mode.hpp): the next fiber is chosen
  // at random from the queue (no runnext), with this generator, seeded from options.seed.
  bool deterministic = false;
  std::uint64_t pick_rng = 0;

  counter spawns, runs, parks, steals, stolen, timers_fired, exits;
  // The flight recorder's ring while recording, else nullptr (trace/record.hpp). Written
  // by trace start/stop; the owner records into it (TR1, TR2 in trace/ring.hpp).
  std::atomic<trace_ring*> trace{nullptr};

  // Deleted at shutdown, every machine joined: its timers never fire; handles to them may
  // still stop and destroy them (T5).
  ~processor() { timer_heap::retire(timers); }
};

}  // namespace goro::detail
