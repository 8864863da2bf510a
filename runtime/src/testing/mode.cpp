// The deterministic mode's scheduling choice and virtual clock (testing/mode.hpp).
#include "testing/mode.hpp"

#include "netpoll.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro::detail {

int active_threads_now() noexcept;  // deadlock.cpp

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

bool advance_clock(processor* p) {
  auto& s = sched();
  // Another source of wake-ups is still live: wait for it in real time, as Go's synctest
  // does for goroutines outside its bubble (the machine idles; their ready() wakes it).
  if (s.nmblocking.load(std::memory_order_seq_cst) != 0 || active_threads_now() != 0 ||
      s.gq.size() > 0)
    return false;
  // I/O already done by a fiber (a loopback write) is ready now: not a reason to jump.
  if (netpoll_waiters() > 0 && netpoll(0) > 0) return true;
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
