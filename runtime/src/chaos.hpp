// Internal. chaos: seeded random delays and yields at the runtime's seams, compiled in only
// when the build sets GORO_CHAOS (CMake option GORO_CHAOS=ON; a lane of the test script).
// A seam is a point between a publish and the wake-up that follows it (a fiber taken out of
// a poll descriptor and its ready(), a processor made idle and its timers passed on, ...):
// a thread preempted there by the kernel opens a window that ordinary runs almost never
// show. The chaos build opens it on purpose, often, in a replayable pattern.
//   GORO_CHAOS_SEED=<n>    the seed (else one from the clock, printed once on stderr)
//   GORO_CHAOS_RATE=<n>    one point in n acts (default 8)
//   GORO_CHAOS_SITES=a,b   only these sites act (names as in site_name(); default all)
// Each thread draws from its own stream of the seed (thread k: stream k, k in the order of
// the threads' first chaos point), so a seed replays the same choices per thread; which
// thread reaches which point first is still the kernel's choice.
// In other builds GORO_CHAOS_POINT compiles to nothing.
#pragma once

#include <cstdint>

namespace goro::detail::chaos {

enum class site : std::uint8_t {
  netpoll_unblock,  // a fiber taken out of a poll descriptor, before it is readied
  ready_thread,     // ready() from a plain thread or a machine without a processor
  hand_off,         // a processor given away by goro::blocking
  start_machine,    // a machine started or woken with a processor
  sleep_machine,    // a machine going idle, between the idle list and its sleep
  timer_fire,       // a timer popped from its heap, before it fires
  chan_close,       // a channel closed, before its waiters are woken
  wait_group_zero,  // a wait_group reached zero, before its waiters are woken
  select_win,       // a select's case chosen by a waker, before the fiber is readied
  count
};

const char* site_name(site s) noexcept;
// Maybe delays the calling thread (a spin, a yield or a short sleep), by the seed's choice.
void point(site s) noexcept;

}  // namespace goro::detail::chaos

#ifdef GORO_CHAOS
#define GORO_CHAOS_POINT(s) ::goro::detail::chaos::point(::goro::detail::chaos::site::s)
#else
#define GORO_CHAOS_POINT(s) ((void)0)
#endif
