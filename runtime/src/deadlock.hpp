// Internal. deadlock: Go's checkdead. The last machine to go idle asks whether anything can
// still wake a fiber; if nothing can while goro::run's main fiber is alive, the process
// ends with Go's message and a line per fiber. The exact conditions are in goro/run.hpp.
// D1: checked under scheduler::lock by a machine that just went idle; every other machine
//     is idle too (or the check fails), so the fibers it lists are not changing.
// D2: main_running and active_threads are seq_cst: a fiber or thread that sets them before
//     it parks or blocks is seen by the check that runs after it went to sleep.
#pragma once

namespace goro::detail {

struct scheduler;

// D1: true when nothing can wake any fiber. scheduler::lock held.
bool deadlocked_locked(scheduler& s);
// Plain threads counted as active now (goro::active_thread, timed waits). For tests.
int active_threads_now() noexcept;
// Prints the report and ends the process with status 2. scheduler::lock held.
[[noreturn]] void report_deadlock();

}  // namespace goro::detail
