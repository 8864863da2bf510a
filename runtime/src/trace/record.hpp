// Internal. The recording points of the flight recorder (see goro/trace.hpp). Off, each
// costs one load of the processor's ring pointer and a predictable branch.
#pragma once

#include <atomic>
#include <cstdint>

#include "processor.hpp"
#include "trace/ring.hpp"

namespace goro::detail {

// True while recording (relaxed loads: a hint for the paths without a processor).
extern std::atomic<bool> trace_on;

// Owner of p only (P1). Records an event in p's ring, if recording.
inline void trace_put(processor* p, trace_kind kind, std::uint64_t fiber,
                      std::uint64_t arg = 0) noexcept {
  // Acquire pairs with the release store in trace_attach(): the ring is constructed.
  if (trace_ring* r = p->trace.load(std::memory_order_acquire)) [[unlikely]]
    r->put(kind, fiber, arg);
}

// Owner of p only. Records an event inside a slice with the time of p's previous event
// (trace_ring::put_untimed), if recording.
inline void trace_put_untimed(processor* p, trace_kind kind, std::uint64_t fiber,
                              std::uint64_t arg = 0) noexcept {
  // Acquire pairs with the release store in trace_attach(): the ring is constructed.
  if (trace_ring* r = p->trace.load(std::memory_order_acquire)) [[unlikely]]
    r->put_untimed(kind, fiber, arg);
}

// Records from a thread without a processor: in the shared ring, under its spinlock.
void trace_put_shared(trace_kind kind, std::uint64_t fiber, std::uint64_t arg) noexcept;

// Where an event goes: a processor's event stamps its own time; one a fiber causes inside
// its slice (ready, spawn) takes the slice's (trace_ring::put_untimed).
enum class trace_stamp { own, slice };

// Anywhere: in p's ring if there is a p (the caller's own), else in the shared ring (whose
// events always stamp their own time).
inline void trace_put_any(processor* p, trace_kind kind, std::uint64_t fiber, std::uint64_t arg = 0,
                          trace_stamp stamp = trace_stamp::own) noexcept {
  if (p) {
    if (stamp == trace_stamp::slice) {
      trace_put_untimed(p, kind, fiber, arg);
    } else {
      trace_put(p, kind, fiber, arg);
    }
  } else if (trace_on.load(std::memory_order_relaxed)) [[unlikely]] {
    trace_put_shared(kind, fiber, arg);
  }
}

// A new processor: gives it its ring if recording (runtime start, lock held).
void trace_attach(processor* p);
// At runtime start: GORO_TRACE / options::trace_path; at shutdown: the file is written.
void trace_start_from_options(const char* path);
void trace_at_shutdown();
// Next to a SIGQUIT dump: writes the trace file, if there is one.
void trace_at_dump();

}  // namespace goro::detail
