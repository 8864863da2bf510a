// Internal. futex: the kernel wait/wake on a 32-bit word that idle machines and plain
// threads block on (invariant 2); channels' select waits on it on a plain thread. Callers
// loop on their condition: wakes may be spurious.
#pragma once

#include <atomic>
#include <cstdint>

namespace goro::detail {

// Blocks while *word == expected, at most until `deadline_ns` (CLOCK_MONOTONIC; < 0: no
// deadline). Returns on a wake, a timeout, a signal, or when *word != expected.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::int64_t deadline_ns = -1) noexcept;
// Wakes up to `n` threads blocked on `word`.
void futex_wake(std::atomic<std::uint32_t>& word, int n = 1) noexcept;

// CLOCK_MONOTONIC in nanoseconds: the same clock as std::chrono::steady_clock.
std::int64_t monotonic_ns() noexcept;
// CLOCK_MONOTONIC_COARSE in nanoseconds: cheaper, ticks every few milliseconds.
std::int64_t coarse_monotonic_ns() noexcept;

}  // namespace goro::detail
