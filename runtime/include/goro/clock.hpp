// goro::now(): the runtime's clock. It is std::chrono::steady_clock, except under
// goro::testing, where it is a virtual clock that stands still while fibers run and jumps to
// the next timer when every fiber waits (goro/testing.hpp). Sleeps, timer channels
// (after, tick), select timeouts and context deadlines are measured on it: code that reads
// the time from goro::now() behaves the same under test as in production.
//
//   auto t0 = goro::now();
//   goro::this_fiber::sleep_for(std::chrono::hours(1));  // instant under goro::testing
//   assert(goro::now() - t0 >= std::chrono::hours(1));
// A duration becomes a deadline by saturating, as Go's timers do: now() plus a duration
// beyond the clock's range (nanoseconds::max(), hours::max()) is time_point::max(), a
// deadline that never comes, not a wrapped one in the past.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace goro {

std::chrono::steady_clock::time_point now() noexcept;

namespace detail {

static_assert(std::is_same_v<std::chrono::steady_clock::duration, std::chrono::nanoseconds>,
              "goro's clock counts nanoseconds (CLOCK_MONOTONIC)");

// d in nanoseconds, rounded up and saturated to int64_t: whatever its type, a duration
// beyond about 292 years is nanoseconds::max(), never a wrapped count.
template <class Rep, class Period>
constexpr std::int64_t saturated_ns(std::chrono::duration<Rep, Period> d) noexcept {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr long double limit = 9.2e18L;  // < 2^63, and exact in a long double
  const long double n = std::chrono::duration<long double, std::nano>(d).count();
  if (!(n < limit)) return max;  // NaN too
  if (!(n > -limit)) return -max;
  return std::chrono::ceil<std::chrono::nanoseconds>(d).count();  // in range: exact
}

// now() + ns, saturated at time_point::max().
inline std::chrono::steady_clock::time_point deadline_after_ns(std::int64_t ns) noexcept {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t t = goro::now().time_since_epoch().count();
  const std::int64_t at = ns <= 0 ? t : ns >= max - t ? max : t + ns;
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(at));
}

// now() + d, saturated: the deadline of every `d from now` in goro (sleep_for, timeout,
// with_timeout).
template <class Rep, class Period>
std::chrono::steady_clock::time_point deadline_after(
    std::chrono::duration<Rep, Period> d) noexcept {
  return deadline_after_ns(saturated_ns(d));
}

}  // namespace detail
}  // namespace goro
