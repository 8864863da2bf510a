// goro/debug.hpp: every fiber, seen from inside the program (Go's goroutine dump and goleak).
//   list_fibers()    a snapshot: id, name, state, wait reason and how long, where it was
//                    spawned, and for a parked fiber its backtrace, unwound from its saved
//                    registers (libunwind, loaded when first needed)
//   dump(out)        prints that snapshot, as the runtime does on SIGQUIT (options::sigquit),
//                    in the deadlock report and when a detached fiber's exception is lost
//   leaked_fibers()  the fibers alive other than the caller: call it when all should be gone
// A parked fiber is held parked while its stack is read (a wake-up waits for it); running
// fibers are listed without a backtrace.
//
//   goro::dump();   // to stderr:
//   // fiber 7 (fetch) [chan receive, 42 s]:     (the wait is shown from a second on)
//   //   spawned at main::{lambda()#1}::operator()()+0x4f (server)
//   //   #0 goro::chan<int>::recv()+0x3a (server)
//   //   #1 fetch_all(...)+0x91 (server)
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace goro {

struct fiber_info {
  std::uint64_t id = 0;
  std::string name;                     // empty if none was given
  std::string state;                    // "running", "runnable" or "parked"
  std::string wait_reason;              // parked: "chan receive", "mutex lock", ...
  std::chrono::nanoseconds waiting{0};  // parked: for how long (to a few milliseconds)
  std::string spawned_at;               // the code that spawned it, symbolized
  std::vector<std::string> backtrace;   // parked: innermost frame first, runtime frames left out
};

// Every fiber alive now, by id. Backtraces cost a stack walk each: pass false to skip them.
std::vector<fiber_info> list_fibers(bool backtraces = true);
// The snapshot as text: one block per fiber, as dump() prints it.
std::string format_fibers(const std::vector<fiber_info>& fibers);
// Prints every fiber (with backtraces) to out; then writes the flight recorder's file, if
// one is set (GORO_TRACE, options::trace_path): the events that led here.
void dump(std::FILE* out = stderr);
// The fibers alive other than the calling one (none when called from a plain thread after
// every fiber it cared about has ended).
std::vector<fiber_info> leaked_fibers();

}  // namespace goro
