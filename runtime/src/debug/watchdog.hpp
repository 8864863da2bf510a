// Internal. The watchdog: part of the monitor's loop (monitor.hpp), it looks at every
// machine every quarter of the threshold and names, once, a fiber that has kept its machine for
// longer than the threshold without a switch: running without a scheduling point (with its
// backtrace, taken by a SIGURG handler on that thread), or blocked in a system call outside
// goro::blocking (with the call's number; no signal: it would interrupt the call). Either
// way its processor serves no other fiber meanwhile. Off unless options::watchdog is set.
#pragma once

#include <chrono>
#include <cstdint>

namespace goro::detail {

// Arms the watchdog (threshold 0: off) and installs its SIGURG handler; before the monitor
// starts.
void watchdog_start(std::chrono::milliseconds threshold);
// Disarms it and restores SIGURG; after the monitor stopped.
void watchdog_stop();
// The monitor's call: scans the machines if a tick has passed since the last scan. Returns
// when it wants the next call (CLOCK_MONOTONIC ns), or no_deadline when it is off.
std::int64_t watchdog_poll(std::int64_t now);
std::uint64_t watchdog_reports() noexcept;  // reports printed since the process started

}  // namespace goro::detail
