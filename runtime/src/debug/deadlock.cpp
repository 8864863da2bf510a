// The deadlock report (see deadlock.hpp and goro/run.hpp for when it fires).
#include "debug/deadlock.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include <goro/debug.hpp>
#include <goro/run.hpp>

#include "debug/fatal.hpp"
#include "fiber.hpp"
#include "net/netpoll.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro::detail {

namespace {
std::atomic<bool> main_running{false};  // D2
std::atomic<int> active_threads{0};     // D2
constexpr std::size_t max_listed = 10'000;
std::atomic<std::uint64_t> false_alarms{0};  // D3 (statistics: relaxed)
}  // namespace

void main_fiber_running(bool on) noexcept { main_running.store(on, std::memory_order_seq_cst); }

void active_threads_add(int n) noexcept { active_threads.fetch_add(n, std::memory_order_seq_cst); }

int active_threads_now() noexcept { return active_threads.load(std::memory_order_seq_cst); }

void active_thread_end() noexcept {
  // The last active thread gone while every machine sleeps: nobody else would check.
  if (active_threads.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
      main_running.load(std::memory_order_seq_cst)) {
    auto& s = sched();
    guard g(s.lock);
    if (deadlocked_locked(s)) report_deadlock();
  }
}

bool deadlocked_locked(scheduler& s) {
  if (!main_running.load(std::memory_order_seq_cst) || s.stopping.load(std::memory_order_seq_cst) ||
      active_threads.load(std::memory_order_seq_cst) != 0 || netpoll_waiters() != 0)
    return false;
  // Every machine idle: none runs a fiber, spins, or sits in goro::blocking.
  if (static_cast<std::size_t>(s.nmidle.load(std::memory_order_seq_cst)) !=
          live_machines_locked(s) ||
      s.npidle.load(std::memory_order_seq_cst) != s.nprocs || s.gq.size() != 0)
    return false;
  for (auto* p : s.ps)
    if (p->timers.next() != no_deadline || !p->runq.empty() ||
        p->runnext.load(std::memory_order_seq_cst))
      return false;
  // D3: the counts say nothing can wake a fiber. Confirm it on the fibers themselves: one
  // that ready() has taken (runnable) but not queued yet, or one still running or being
  // created, is a wake-up in flight, not a deadlock. Its waker will queue it and wake a
  // machine. Only reached when every count above agrees, so the walk is rare.
  bool awake = false;
  for_each_fiber(
      [](fiber* f, void* arg) {
        const auto st = f->state.load(std::memory_order_seq_cst);
        if (st != fiber_state::parked && st != fiber_state::inspected && st != fiber_state::dead)
          *static_cast<bool*>(arg) = true;
      },
      &awake);
  if (awake) {
    false_alarms.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

std::uint64_t deadlock_false_alarms() noexcept {
  return false_alarms.load(std::memory_order_relaxed);
}

void report_deadlock() {
  std::fflush(stdout);  // what the program printed so far comes first
  // Every machine is idle: the dump's walk sees a quiet world.
  auto fibers = list_fibers(true);
  std::string out = "fatal error: all fibers are asleep - deadlock!\n\n";
  if (fibers.size() > max_listed) {
    const std::size_t more = fibers.size() - max_listed;
    fibers.resize(max_listed);
    out += format_fibers(fibers);
    fmt::format_to(std::back_inserter(out), "... and {} more fibers\n", more);
  } else {
    out += format_fibers(fibers);
  }
  write_stderr(out.data(), out.size());
  trace_at_dump();  // GORO_TRACE / options.trace_path: the events that led here
  ::_exit(2);       // as Go; no atexit handlers: they would wait for the sleeping fibers
}

}  // namespace goro::detail
