// goro::start / goro::shutdown: the runtime's lifecycle. Optional: the runtime starts by
// itself on first use (sized by the GORO_PROCS environment variable, else, or with
// GORO_PROCS=0, one processor per hardware thread) and shuts down at process exit. Call
// start() to choose options, and shutdown() to join its threads at a point of your choosing;
// after shutdown() it may be started again.
// Fibers still parked at shutdown are abandoned (their stacks are not unwound): join your
// fibers first. goro::live_fibers() tells how many have not ended.
//
//   int main() {
//     goro::start({.procs = 2});
//     auto h = goro::spawn([] { return 6 * 7; });
//     fmt::print("{}\n", h.join());
//     goro::shutdown();
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace goro {

// How stacks are guarded against overflow.
enum class stack_guard {
  automatic,  // MADV_GUARD_INSTALL (Linux >= 6.13) if the kernel has it, else mprotect
  mprotect,   // mprotect guard pages within the VMA budget, then canaries (forces the fallback)
};

// What SIGQUIT (Ctrl-\\) does while the runtime runs.
enum class sigquit_action {
  dump_and_exit,  // as Go: every fiber (goro::dump) on stderr, then exit status 2
  dump,           // every fiber on stderr, and the program goes on
  none,           // no handler: SIGQUIT keeps its default (a core dump)
};

struct options {
  // Number of processors (Go's GOMAXPROCS), 1..1024. 0: GORO_PROCS (0..1024), else (or 0)
  // one per hardware thread. A bad value of either throws goro::option_error.
  int procs = 0;
  // Default usable stack size of a fiber, in bytes; 0 means 64 KiB. Rounded up to pages.
  std::size_t stack_size = 0;
  // Guard strategy; the GORO_STACK_GUARD environment variable (auto|mprotect) overrides it.
  stack_guard guard = stack_guard::automatic;
  // Maximum number of mprotect guard pages (each costs 2 VMAs of vm.max_map_count);
  // 0 derives it from /proc/sys/vm/max_map_count. Beyond it, stacks get a canary only.
  std::size_t mprotect_guard_budget = 0;
  // Seed of the runtime's random choices (select among ready cases, steal order). 0: a
  // fresh seed per start. With procs = 1 and a fixed seed, fibers that do not race with
  // plain threads or timers run the same interleaving on every run (replay a failure).
  std::uint64_t seed = 0;
  // SIGQUIT's action; the GORO_SIGQUIT environment variable (exit|dump|off) overrides it. A
  // handler the program installed before start is left alone.
  sigquit_action sigquit = sigquit_action::dump_and_exit;
  // At shutdown, list the fibers still alive (abandoned) on stderr with their wait reasons,
  // spawn sites and backtraces: a leak check (Go's goleak). GORO_REPORT_LEAKS=1 turns it on.
  bool report_leaks = false;
  // The watchdog: a fiber that keeps its processor this long without a scheduling point
  // (a busy loop, or a blocking system call outside goro::blocking) is named once on stderr,
  // with its backtrace when it runs. 0: off. GORO_WATCHDOG=<milliseconds> overrides it.
  std::chrono::milliseconds watchdog{0};
  // Records the scheduler's events from the start (goro/trace.hpp) and writes them as
  // Chrome trace JSON to this file at shutdown (and with every dump: goro/debug.hpp). The
  // GORO_TRACE=<file> environment variable overrides it. nullptr: no file. An unwritable
  // file throws goro::option_error at start.
  const char* trace_path = nullptr;
  // The most OS threads the runtime runs fibers on at once (Go's debug.SetMaxThreads):
  // one per processor plus one per fiber inside goro::blocking. Needing one more ends the
  // program with "goro: fatal: program exceeds the limit of N threads". procs..1000000.
  int max_threads = 10'000;
  // A thread that has been idle this long, beyond the processors' needs (more idle threads
  // than processors, after a burst of goro::blocking calls), ends. At least 1 ms.
  std::chrono::milliseconds thread_idle_timeout{10'000};
};

// Starts the runtime. Throws goro::runtime_error if it is running, goro::option_error on
// an invalid option.
void start(const options& opts = {});

// Stops the runtime: waits for each machine to finish the fiber it is running, then joins
// all its threads. Throws goro::runtime_error when called from a fiber. No-op if stopped.
void shutdown();

// True between start (explicit or implicit) and shutdown.
bool running() noexcept;

// Number of processors of the running runtime (starts it if needed).
int procs();

// Fibers spawned and not yet ended (parked, runnable or running).
std::int64_t live_fibers() noexcept;

}  // namespace goro
