// goro/trace.hpp: the scheduler's flight recorder (Go's runtime/trace, always-on style).
// While recording, every processor keeps a ring of its last scheduling events: a fiber
// runs, parks (with its wait reason), yields, exits, enters or leaves goro::blocking; a
// fiber is spawned or readied; work is stolen; timers fire; the network poller wakes
// fibers. A full ring overwrites its oldest events, so recording may stay on: each event
// is one store of 32 bytes into the recording processor's own ring, no lock, no allocation.
// Events from plain threads (no processor) go to one shared ring under a spinlock.
// Slice boundaries carry the time-stamp counter; a spawn or a wake-up inside a slice carries
// the time of that slice's start (its order among the events is exact): a counter read
// costs more than the rest of an event. The cost with recording on, measured by
// perf/run.py: about 3 % on skynet, 10 % on ping-pong, 60 % on a loop of yields (a switch
// and nothing else: one counter read per switch, about 20 ns on some CPUs).
// write() exports what the rings hold as Chrome trace event JSON (chrome://tracing,
// ui.perfetto.dev): one track per processor, a slice per run of a fiber, instant events
// for the rest. tools/trace_png.py draws it as a per-processor timeline.
// Recording is off unless started: by start(), by options::trace_path, or by the
// GORO_TRACE=<file> environment variable (recorded from the runtime's start, written to
// <file> at shutdown or exit, and with every dump: goro::dump(), SIGQUIT, the deadlock
// report, a detached fiber's lost exception).
// Safe from any fiber or thread, while the runtime runs or not.
//
//   goro::trace::start();
//   run_the_workload();
//   std::ofstream out("trace.json");
//   goro::trace::write(out);     // also while recording: events written meanwhile may be left out
//   goro::trace::stop();
#pragma once

#include <cstdint>
#include <cstdio>
#include <iosfwd>

namespace goro::trace {

// Starts recording on every processor (now and in later runtime starts) and forgets the
// events recorded so far. Recording is on when this returns.
void start();
// Stops recording; the rings keep their events for write().
void stop();
// True while recording.
bool recording() noexcept;
// Writes the recorded events as Chrome trace event JSON ({"traceEvents": [...]}).
void write(std::ostream& out);
void write(std::FILE* out);
// Events overwritten (oldest first) in all rings since start(): a hint that write()
// shows only the most recent part of the recording.
std::uint64_t overwritten() noexcept;

}  // namespace goro::trace
