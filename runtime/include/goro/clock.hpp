// goro::now(): the runtime's clock. It is std::chrono::steady_clock, except under
// goro::testing, where it is a virtual clock that stands still while fibers run and jumps to
// the next timer when every fiber waits (goro/testing.hpp). Sleeps, timer channels
// (after, tick), select timeouts and context deadlines are measured on it: code that reads
// the time from goro::now() behaves the same under test as in production.
//
//   auto t0 = goro::now();
//   goro::this_fiber::sleep_for(std::chrono::hours(1));  // instant under goro::testing
//   assert(goro::now() - t0 >= std::chrono::hours(1));
#pragma once

#include <chrono>

namespace goro {

std::chrono::steady_clock::time_point now() noexcept;

}  // namespace goro
