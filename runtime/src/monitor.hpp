// Internal. monitor: Go's sysmon, the backstop for every role that can slip through a seam.
// One plain thread, started and stopped with the runtime, holding no processor. While any
// processor is busy it wakes with Go's back-off (20 us, doubling after 50 quiet rounds, up
// to 10 ms) and:
//   - polls the network when fibers wait on sockets and nobody has looked at epoll for
//     10 ms (no poller blocked in it: N5), readying what it finds onto the global queue;
//   - fires a processor's timers itself when they are overdue by more than 10 ms (its
//     machine is stuck outside a scheduling point, or nobody watches an idle processor),
//     and wakes a machine for an idle processor's timers overdue by 1 ms (R4);
//   - retires idle machines beyond those the processors need (R5);
//   - runs the watchdog's scan (debug/watchdog.hpp), when it is on.
// MO1: when every processor is idle (and the sockets have a poller) it sleeps without a
//      period, until the earliest timer of any processor plus 10 ms or the next machine
//      retirement; the scheduler wakes it, under its lock, when it takes an idle processor
//      or an idle processor gets an earlier timer. So an idle runtime costs no wake-ups.
// MO2: not in the deterministic mode (goro::testing): there the clock is virtual and the
//      one processor's machine is the only actor.
#pragma once

#include <cstdint>

namespace goro::detail {

// After the processors exist (start), before the machines are joined (shutdown).
void monitor_start();
void monitor_stop();

// What the monitor did, since the process started (statistics and tests).
struct monitor_counts {
  std::uint64_t polls = 0;         // network polls it made
  std::uint64_t polled_ready = 0;  // fibers those polls readied
  std::uint64_t timers_fired = 0;  // overdue timers it fired itself
  std::uint64_t kicks = 0;         // machines it woke or started for idle processors
  std::uint64_t retired = 0;       // machines it retired
  std::uint64_t wakeups = 0;       // times its thread woke up
};
monitor_counts monitor_stats() noexcept;

}  // namespace goro::detail
