// Internal. The flight recorder's export: the rings as Chrome trace event JSON.
// TE1: one track (tid) per processor id, and one for plain threads; in each, events appear
//      in the order they were put, timestamps clamped never to go backwards (TC2).
// TE2: a "run" opens a slice of its fiber; the next "stop" or "blocking_enter" closes it
//      (so does another "run", when the stop was overwritten or torn); a "handoff" closes
//      the open slice and opens the next fiber's at the same time; a slice still open at
//      the export ends at the export's time. Slices of one track never overlap.
#pragma once

#include <cstdio>
#include <string>

#include "trace/ring.hpp"

namespace goro::detail {

inline constexpr int max_trace_procs = 1024;              // as options::procs
inline constexpr int shared_trace_tid = max_trace_procs;  // plain threads' track

// Calls fn on every ring that exists: processors' by id, then the shared one.
void for_each_trace_ring(void (*fn)(int tid, const trace_ring& r, void* arg), void* arg);

// Any thread, recording or not.
std::string trace_json();
void write_trace(std::FILE* out);

}  // namespace goro::detail
