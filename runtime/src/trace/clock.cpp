// The flight recorder's clock (see clock.hpp).
#include "trace/clock.hpp"

#include <mutex>

#include <cpuid.h>
#include <time.h>

namespace goro::detail {

bool trace_uses_tsc = false;  // written once under init_once, before recording starts

namespace {
std::once_flag init_once;
std::uint64_t first_ticks = 0;  // TC1's first point; written under init_once
std::int64_t first_ns = 0;

bool invariant_tsc() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007) return false;
  __get_cpuid(0x80000007, &a, &b, &c, &d);
  return (d & (1u << 8)) != 0;  // CPUID.80000007H:EDX[8]: invariant TSC
}
}  // namespace

std::int64_t trace_monotonic_ns() noexcept {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

void trace_clock_init() {
  // call_once orders these writes before any recording (start() publishes the rings after).
  std::call_once(init_once, [] {
    trace_uses_tsc = invariant_tsc();
    first_ns = trace_monotonic_ns();
    first_ticks = trace_ticks();
  });
}

trace_clock_map::trace_clock_map() : t0(first_ticks), ns0(first_ns), ns_per_tick(1.0) {
  if (!trace_uses_tsc) return;
  std::int64_t ns1 = trace_monotonic_ns();
  while (ns1 - ns0 < 10'000'000) ns1 = trace_monotonic_ns();  // TC1: a 10 ms base at least
  const std::uint64_t t1 = trace_ticks();
  ns_per_tick = static_cast<double>(ns1 - ns0) / static_cast<double>(t1 - t0);
}

std::int64_t trace_clock_map::ns(std::uint64_t ticks) const {
  const auto d = static_cast<double>(static_cast<std::int64_t>(ticks - t0));
  return ns0 + static_cast<std::int64_t>(d * ns_per_tick);
}

}  // namespace goro::detail
