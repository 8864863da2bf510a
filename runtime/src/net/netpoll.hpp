// Internal. netpoll: Go's network poller, on epoll. Every descriptor the net API creates is
// registered once, edge-triggered, for reading and writing; a fiber whose read or write
// would block parks on the descriptor's poll_desc until epoll reports it ready, its
// deadline passes or the descriptor is closed. Part of the scheduler: a machine that runs
// out of work polls without blocking, and one idle machine (the poller) blocks in
// epoll_wait with the earliest idle timer as its timeout; waking it is a write to an
// eventfd (note_wake does it for a poller).
// N1: a poll_desc's slot (rg for reading, wg for writing) is 0 (nothing), ready (an event
//     arrived and was not consumed), waiting (a fiber is committing to park) or the
//     parked fiber's pointer. A waiter moves 0 -> waiting before it parks and, after its
//     switch-out, waiting -> fiber (commit); an event swaps the slot to ready and a
//     deadline, close, deadline change or stop request swaps it to 0, each readying the fiber it
//     took out. A commit that finds the slot changed readies its fiber itself (the fiber is parked
//     by then), so no wake-up is lost.
// N2: poll_descs are never freed (reused through a free list); epoll events carry the
//     descriptor's sequence number, bumped at close, so a stale event is ignored.
// N3: waiters counts fibers committed to waiting; while it is non-zero and every processor
//     is idle, one machine is the poller (or about to become it), and the deadlock check
//     stays silent.
// N4: a fiber taken out of a slot is readied (queued) before waiters is lowered for it: at
//     every instant it is counted as a waiter or queued (or both), never neither.
// N5: last_poll is the time of the last look at epoll (any netpoll() call, coarse clock),
//     or 0 while a machine is blocked in it; the monitor polls when it is older than 10 ms
//     and fibers wait (Go's sysmon).
// N6: the wake-up eventfd is consumed only by a blocking netpoll() (the poller's), so a
//     non-blocking look elsewhere never takes the poller's wake-up.
// N7: at shutdown the fibers still parked on descriptors are abandoned (leaked, with the
//     calls they are in); once the machines have stopped, their slots go back to 0 and
//     waiters to 0, so that a later close, deadline or event (in this process's next
//     runtime too) readies none of them.
// N8: a deadline far from the coarse clock is judged on it, without the precise clock
//     (expired() in netpoll.cpp says how far, and what a late tick can let through).
#pragma once

#include <atomic>
#include <cstdint>

#include <goro/detail/spinlock.hpp>

namespace goro::detail {

struct fiber;

struct poll_desc {
  int fd = -1;
  std::atomic<std::uintptr_t> rg{0}, wg{0};  // N1
  std::atomic<std::uint32_t> seq{0};         // N2
  std::atomic<bool> closing{false};
  std::atomic<std::int64_t> rdeadline{-1}, wdeadline{-1};  // CLOCK_MONOTONIC ns; < 0: none
  poll_desc* next_free = nullptr;                          // the pool's lock
};

enum class io_mode : std::uint8_t { read, write };
enum class io_wait : std::uint8_t { ready, timeout, closed, stopped };

// Registers fd (non-blocking already) with the poller; throws std::system_error.
poll_desc* netpoll_open(int fd);
// Marks pd closing, wakes its waiters (they see io_wait::closed) and unregisters it. The
// caller closes the fd once no call uses it any more, then frees pd.
void netpoll_close(poll_desc* pd) noexcept;
// Returns a closed pd to the pool (N2).
void netpoll_free(poll_desc* pd) noexcept;
// Before an operation: closed, or its deadline passed (timeout), or ready to try.
io_wait netpoll_check(poll_desc* pd, io_mode mode) noexcept;
// Waits until pd may be ready for `mode` (retry the operation), its deadline passes, it is
// closed, or *stop (if given) is true: the caller's stop request, which sets it (seq_cst) and
// then calls netpoll_interrupt. A fiber parks; a plain thread blocks in poll(2), in slices
// of at most 10 ms while a stop is possible (poll(2) cannot be woken for it).
io_wait netpoll_wait(poll_desc* pd, io_mode mode, const std::atomic<bool>* stop = nullptr);
// Wakes the fiber waiting on pd for `mode`, if any, so that it re-reads its stop flag.
void netpoll_interrupt(poll_desc* pd, io_mode mode) noexcept;
// Sets a deadline (< 0: none) and wakes the waiter so that it re-reads it.
void netpoll_set_deadline(poll_desc* pd, io_mode mode, std::int64_t deadline_ns) noexcept;

// --- scheduler side ---
// Fibers committed to waiting (N3).
int netpoll_waiters() noexcept;
// True once any descriptor has been registered (the poller exists).
bool netpoll_active() noexcept;
// Collects the fibers whose descriptors are ready, waiting at most until deadline_ns
// (CLOCK_MONOTONIC; 0: do not block; < 0: no deadline), and readies them. Returns how
// many it readied.
int netpoll(std::int64_t deadline_ns);
// At shutdown, after every machine has stopped: forgets the parked fibers (N7).
void netpoll_abandon_waiters() noexcept;
// Fibers readied by netpoll() since the process started (stats).
std::uint64_t netpoll_readied_total() noexcept;
// N5: when epoll was last looked at (coarse CLOCK_MONOTONIC ns), 0 while a machine is
// blocked in it.
std::int64_t netpoll_last_poll() noexcept;
// Interrupts a blocked netpoll() (idempotent until it returns).
void netpoll_break() noexcept;

}  // namespace goro::detail
