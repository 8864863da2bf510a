// goro::this_fiber: the calling fiber's own operations. Each also works on a plain thread
// (yield and sleep act on the thread; id() is 0 there).
//
//   for (int i = 0; i < n; ++i) { work(i); goro::this_fiber::yield(); }
//   goro::this_fiber::sleep_for(std::chrono::milliseconds(10));
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include <goro/clock.hpp>

namespace goro::this_fiber {

// Lets other runnable fibers run; the caller goes to the back of its processor's queue.
// A scheduling point.
void yield();

// The calling fiber's id (ids start at 1 and are never reused), or 0 on a plain thread.
std::uint64_t id() noexcept;

// The calling fiber's name as given at spawn ("" if none, or on a plain thread).
std::string_view name() noexcept;

// Parks the calling fiber until `deadline` on goro::now()'s clock (on its processor's timer
// heap). A scheduling point. A deadline in the past still yields.
void sleep_until(std::chrono::steady_clock::time_point deadline);

// Parks the calling fiber for d. A duration past the clock's range sleeps forever (Go's
// time.Sleep saturates too).
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
  sleep_until(detail::deadline_after(d));
}

}  // namespace goro::this_fiber
