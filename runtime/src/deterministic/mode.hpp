// Internal. The deterministic mode of goro::testing (goro/testing.hpp): one processor, a
// seeded choice of the next fiber, a virtual clock, and optionally a migration at every
// scheduling point.
// V1: the mode is set by start, before any machine of that runtime exists, and cleared by
//     shutdown after every machine is joined: fixed while machines run (relaxed loads).
// V2: virtual_now is written only by the machine holding the one processor, when no fiber
//     can run (advance_clock); fibers read it on that processor (the hand-off of the
//     processor orders them), plain threads read a hint (relaxed).
#pragma once

#include <atomic>
#include <cstdint>

#include <goro/detail/futex.hpp>

namespace goro::detail {

struct processor;
struct fiber;

inline std::atomic<bool> deterministic_mode{false};  // V1
inline std::atomic<bool> migrate_mode{false};        // V1: implies deterministic_mode
inline std::atomic<std::int64_t> virtual_now{0};     // V2: ns, on CLOCK_MONOTONIC's scale

// The clock of timers (sleeps, timer channels, context deadlines): CLOCK_MONOTONIC, or the
// virtual clock in the deterministic mode.
inline std::int64_t timer_now_ns() noexcept {
  if (deterministic_mode.load(std::memory_order_relaxed)) [[unlikely]]
    return virtual_now.load(std::memory_order_relaxed);
  return monotonic_ns();
}

// Deterministic mode, owner of p: a runnable fiber of p's queue chosen with p's seeded
// generator, or nullptr when the queue is empty.
fiber* pick_runnable(processor* p);

// Deterministic mode, owner of p, nothing runnable: every fiber is parked. If no fiber can
// be woken by anything but a timer (no machine inside goro::blocking, no active plain
// thread, no I/O ready), moves the virtual clock to p's next timer and runs the due ones.
// True if that readied a fiber (or the poller did).
bool advance_clock(processor* p);

}  // namespace goro::detail
