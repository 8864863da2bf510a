#include <goro/clock.hpp>

#include "deterministic/mode.hpp"

namespace goro {

std::chrono::steady_clock::time_point now() noexcept {
  // steady_clock is CLOCK_MONOTONIC on Linux: the scale of timer_now_ns().
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(detail::timer_now_ns()));
}

}  // namespace goro
