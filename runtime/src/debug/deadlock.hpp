// Internal. deadlock: Go's checkdead. The last machine to go idle asks whether anything can
// still wake a fiber; if nothing can while goro::run's main fiber is alive, the process
// ends with Go's message and a line per fiber. The exact conditions are in goro/run.hpp.
// D1: checked under scheduler::lock by a machine that just went idle; every other machine
//     is idle too (or the check fails), so the fibers it lists are not changing.
// D2: main_running and active_threads are seq_cst: a fiber or thread that sets them before
//     it parks or blocks is seen by the check that runs after it went to sleep.
// D3: the inputs are read under scheduler::lock; every waker that takes a fiber out of a
//     wait structure without holding a processor queues it before it stops counting it
//     (netpoll's N4; a timer is fired only by a machine holding a processor; a machine
//     inside goro::blocking is not idle). A positive verdict is then confirmed on the
//     fibers themselves: any fiber not parked means a wake-up in flight, and no report.
#pragma once

#include <cstdint>

#include "scheduler.hpp"

namespace goro::detail {

// D1: true when nothing can wake any fiber. scheduler::lock held.
bool deadlocked_locked(scheduler& s) GORO_REQUIRES(s.lock);
// Plain threads counted as active now (goro::active_thread, timed waits). For tests.
int active_threads_now() noexcept;
// Verdicts that the fiber walk (D3) overturned, since the process started.
std::uint64_t deadlock_false_alarms() noexcept;
// Prints the report and ends the process with status 2. scheduler::lock held.
[[noreturn]] void report_deadlock();

}  // namespace goro::detail
