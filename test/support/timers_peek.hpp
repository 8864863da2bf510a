// Test support: a look at the processors' timer heaps (internal), to see that a timer ended
// or where the earliest one stands.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "scheduler.hpp"

namespace goro_test {

// Timers queued on any processor's heap.
inline std::size_t pending_timers() {
  auto& s = goro::detail::sched();
  goro::detail::guard g(s.lock);
  std::size_t n = 0;
  for (auto* p : s.ps) n += p->timers.size();
  return n;
}

// The earliest deadline queued on any processor's heap (no_deadline: none).
inline std::int64_t earliest_timer() {
  auto& s = goro::detail::sched();
  goro::detail::guard g(s.lock);
  std::int64_t next = goro::detail::no_deadline;
  for (auto* p : s.ps) next = std::min(next, p->timers.next());
  return next;
}

}  // namespace goro_test
