// The deterministic mode's scheduling choice and virtual clock (deterministic/mode.hpp).
#include "deterministic/mode.hpp"

#include <goro/error.hpp>
#include <goro/testing.hpp>
#include <goro/this_fiber.hpp>

#include "net/netpoll.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro::detail {

std::int64_t timer_clock_ns() noexcept { return timer_now_ns(); }

int active_threads_now() noexcept;  // debug/deadlock.cpp

fiber* pick_runnable(processor* p) {
  const auto n = p->runq.size();
  if (n == 0) return nullptr;
  // xorshift64* of the processor's own stream (seeded from options.seed at start).
  std::uint64_t& x = p->pick_rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  const std::uint64_t r = (x * 0x2545F4914F6CDD1DULL) >> 32;
  return p->runq.pop_at(static_cast<std::uint32_t>(r % n));
}

namespace {

// Something other than a timer may still wake a fiber: a machine inside goro::blocking, an
// active plain thread, a fiber queued globally (by a plain thread or a blocking call).
bool others_can_wake() {
  auto& s = sched();
  return s.nmblocking.load(std::memory_order_seq_cst) != 0 || active_threads_now() != 0 ||
         s.gq_size() > 0;
}

// I/O a fiber already did (a loopback write) is ready now: its readers are readied. Not
// while an idle machine is blocked in the poller (N3): it readies them itself, through the
// global queue, and a second poller could take the eventfd wake-up meant for it.
bool io_ready() {
  return netpoll_waiters() > 0 && !sched().poller.load(std::memory_order_acquire) && netpoll(0) > 0;
}

}  // namespace

bool advance_clock(processor* p) {
  // Another source of wake-ups is still live: wait for it in real time, as Go's synctest
  // does for goroutines outside its bubble (the machine idles; their ready() wakes it).
  if (others_can_wake()) return false;
  if (io_ready()) return true;  // not a reason to jump
  const std::int64_t next = p->timers.next();
  if (next == no_deadline) return false;  // nothing but I/O or nothing at all: idle
  // V2: only this machine writes the clock; it never goes back.
  if (next > virtual_now.load(std::memory_order_relaxed))
    virtual_now.store(next, std::memory_order_relaxed);
  if (const int n = p->timers.run_expired(next, false)) {
    p->timers_fired.inc(static_cast<std::uint64_t>(n));
    trace_put(p, trace_kind::timers, 0, static_cast<std::uint64_t>(n));
  }
  return true;
}

}  // namespace goro::detail

namespace goro::testing {

void wait() {
  using namespace goro::detail;
  machine* m = current_m();
  if (!deterministic_mode.load(std::memory_order_relaxed) || !m || !m->current)
    throw runtime_error("goro::testing::wait: call it from a fiber of goro::testing::run");
  // Lets the others run until none can: each yield runs another runnable fiber (and, every
  // so often, the scheduler loop, which fires due timers). The clock does not move: the
  // caller stays runnable.
  for (;;) {
    processor* p = current_m()->p;  // M3: re-read after every yield
    if (p->runq.empty() && p->timers.next() > virtual_now.load(std::memory_order_relaxed) &&
        !others_can_wake() && !io_ready())
      return;
    goro::this_fiber::yield();
  }
}

}  // namespace goro::testing
