// Internal. The watchdog (a reduced Go sysmon): a plain thread that looks at every machine
// every quarter of the threshold and names, once, a fiber that has kept its machine for
// longer than the threshold without a switch: running without a scheduling point (with its
// backtrace, taken by a SIGURG handler on that thread), or blocked in a system call outside
// goro::blocking (with the call's number; no signal: it would interrupt the call). Either
// way its processor serves no other fiber meanwhile. Off unless options::watchdog is set.
#pragma once

#include <chrono>
#include <cstdint>

namespace goro::detail {

void watchdog_start(std::chrono::milliseconds threshold);
void watchdog_stop();
std::uint64_t watchdog_reports() noexcept;  // reports printed since the process started

}  // namespace goro::detail
