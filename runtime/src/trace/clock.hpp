// Internal. The flight recorder's clock: the time-stamp counter (rdtsc), about 7 ns a read
// and no system call, when the CPU's is invariant (constant rate, runs in every C-state);
// else CLOCK_MONOTONIC (a vDSO read, about 20 ns). CLOCK_MONOTONIC_COARSE costs less but
// ticks every 4 ms: useless for slices of a microsecond.
// TC1: ticks are converted to CLOCK_MONOTONIC nanoseconds by a line through two points:
//      one taken at the first trace start, one at each export (at least 10 ms apart).
// TC2: counters of different cores may differ by a few ticks; the export clamps each
//      track's timestamps so that they never go backwards.
#pragma once

#include <cstdint>

#include <x86intrin.h>

namespace goro::detail {

// True if ticks() reads the time-stamp counter (decided once, at the first trace start).
extern bool trace_uses_tsc;

std::int64_t trace_monotonic_ns() noexcept;

inline std::uint64_t trace_ticks() noexcept {
  if (trace_uses_tsc) [[likely]]
    return __rdtsc();
  return static_cast<std::uint64_t>(trace_monotonic_ns());
}

// Chooses the clock and takes the first point of TC1 (once; later calls do nothing).
void trace_clock_init();

// Converts ticks to CLOCK_MONOTONIC nanoseconds (TC1). Takes the second point now.
struct trace_clock_map {
  trace_clock_map();
  std::int64_t ns(std::uint64_t ticks) const;
  std::uint64_t t0;
  std::int64_t ns0;
  double ns_per_tick;
};

}  // namespace goro::detail
