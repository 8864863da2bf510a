// goro::stats: a snapshot of the scheduler's counters, one entry per processor (P).
// Counters only grow while the runtime runs (shutdown() discards the processors: read
// them before); compare two snapshots to see a rate. Safe from any thread; each
// field is read atomically, the snapshot as a whole is not.
//
//   for (auto& p : goro::stats().processors) fmt::print("P{} ran {}\n", p.id, p.runs);
#pragma once

#include <cstdint>
#include <vector>

namespace goro {

struct processor_stats {
  int id = 0;
  std::uint64_t spawns = 0;  // fibers spawned by fibers running on this P
  std::uint64_t runs = 0;    // fibers switched to on this P
  std::uint64_t parks = 0;   // fibers that parked while running on this P
  std::uint64_t steals = 0;  // successful steals by this P from others
  std::uint64_t stolen = 0;  // fibers taken in those steals
  std::uint64_t timers_fired = 0;
  std::uint64_t timers_pending = 0;  // timers queued on this P's heap now
  std::uint32_t run_queue = 0;       // current local run-queue length
};

// What a machine (an OS thread of the runtime, Go's M) is doing.
enum class machine_state {
  running,   // holds a processor: runs fibers, or its scheduler loop
  spinning,  // holds a processor and looks for work to steal
  blocking,  // inside goro::blocking: its fiber acts as a thread; its processor went on
  idle,      // asleep on its futex, without a processor
  polling,   // asleep in the network poller (epoll_wait), without a processor
};
const char* to_string(machine_state s) noexcept;

struct machine_stats {
  int id = 0;
  int tid = 0;  // the thread's id (gettid), as in /proc and gdb
  machine_state state = machine_state::running;
};

struct runtime_stats {
  std::vector<processor_stats> processors;
  std::uint64_t machines = 0;          // OS threads (Ms) of the running runtime
  std::uint64_t machine_wakeups = 0;   // futex wakes of idle machines
  std::uint64_t machine_sleeps = 0;    // times a machine went idle on its futex
  std::uint64_t watchdog_reports = 0;  // fibers the watchdog named (options::watchdog)
  std::uint64_t netpoll_ready = 0;     // fibers readied by the network poller, in all
  int blocking_machines = 0;           // machines inside goro::blocking now
  // Fibers by state now (a walk over the stacks: O(fibers)).
  std::int64_t fibers_running = 0, fibers_runnable = 0, fibers_parked = 0;
  std::int64_t live_fibers = 0;
  int idle_processors = 0;    // processors without a machine
  int idle_machines = 0;      // machines asleep on their futex
  int spinning_machines = 0;  // machines looking for work
  // Each machine, by id (its state read as a hint: a machine between two states shows one
  // of them).
  std::vector<machine_stats> machine_list;
};

runtime_stats stats();

}  // namespace goro
