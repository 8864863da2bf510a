// Internal. machine: Go's M, an OS thread that runs fibers while it holds a processor.
// M1: the scheduler context (sched_ctx) runs on the thread's own stack and never migrates;
//     fibers switch only to the sched_ctx of the machine they run on.
// M2: an idle machine sleeps on `note` (futex); whoever wakes it first sets next_p (or
//     not, for a timer or stop wake) under the scheduler lock, then sets note to 1.
// M4: an idle machine that is the network poller blocks in epoll_wait instead of on
//     `note`; `polling` is set and cleared under the scheduler lock while it is on the
//     idle list, so a waker that took it off the list knows how to wake it (eventfd).
// M3: the runtime's per-thread state is reached only through current_m(), never inlined,
//     so that fiber code re-reads it after every scheduling point (invariant 3).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "switch.hpp"

namespace goro::detail {

struct fiber;
struct processor;

// A field written by its machine (or under the scheduler lock) and read by other threads as
// a hint for goro::stats: relaxed atomic accesses (plain moves on x86) with a plain field's
// syntax.
template <class T>
class owned_hint {
 public:
  owned_hint(T v = T{}) noexcept : v_(v) {}
  owned_hint& operator=(T v) noexcept {
    v_.store(v, std::memory_order_relaxed);
    return *this;
  }
  operator T() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<T> v_;
};

struct machine {
  int id = 0;
  context sched_ctx;            // M1
  eh_state* eh = nullptr;       // this thread's exception state (C2)
  processor* p = nullptr;       // the processor held, owned by this thread
  processor* next_p = nullptr;  // M2: handed over under the scheduler lock
  fiber* next_f = nullptr;      // M2: with next_p, the fiber to run first (migrate mode)
  fiber* current = nullptr;     // the fiber running on this machine
  // For the watchdog (another thread): the fiber running here, or nullptr while in the
  // scheduler or inside goro::blocking (release at each switch-in: pairs with the watchdog's
  // acquire, which then sees the fiber's id); and the switches to a fiber so far (written by
  // this machine alone, relaxed load+store, as processor counters: P2).
  std::atomic<fiber*> watch{nullptr};
  std::atomic<std::uint64_t> switches{0};
  std::atomic<int> tid{0};             // the thread's id, for /proc and signals
  fiber* blocked = nullptr;            // the fiber inside goro::blocking (acts as a thread)
  owned_hint<bool> in_blocking;        // blocked != nullptr, for goro::stats
  owned_hint<bool> spinning;           // counted in scheduler::nmspinning
  std::atomic<std::uint32_t> note{0};  // M2
  std::atomic<bool> polling{false};    // M4: asleep in the network poller, not on `note`
  machine* idle_link = nullptr;        // scheduler lock
  std::int64_t idle_since = 0;         // scheduler lock: when it last went on the idle list
  bool retire = false;                 // R5: scheduler lock; taken off the idle list to end
  std::thread thread;
  void* altstack = nullptr;  // SIGSEGV handler stack
  std::uint64_t rng = 0;     // steal-order randomness, this thread only
};

// M3: the machine running the calling thread, or nullptr on a plain thread.
machine* current_m() noexcept;

// Gives processor p to an idle machine (or a new one), spinning or not; with `first`, the
// fiber it runs first (migrate mode).
void start_machine(processor* p, bool spinning, fiber* first = nullptr);
// The machine has no processor: it sleeps on the idle list until handed one (M2), taking the
// idle roles that nobody holds (R3, N3). Returns false when the runtime is stopping.
bool sleep_machine(machine* m);
// Wakes an idle machine: with next_p set (under the scheduler lock) to run, else to look
// at its roles again (M2, M4).
void note_wake(machine* m);

// True while the watchdog runs: only then do switches keep `watch` and `switches` up to
// date (relaxed: the watchdog ignores what it saw before its first full tick).
inline std::atomic<bool> watchdog_on{false};

// A switch to f on m, for the watchdog: f is what m runs now, one more switch counted.
inline void note_switch(machine* m, fiber* f) noexcept {
  if (!watchdog_on.load(std::memory_order_relaxed)) return;
  m->switches.store(m->switches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  m->watch.store(f, std::memory_order_release);  // pairs with the watchdog's acquire
}
// m is back in its scheduler (or inside goro::blocking): no fiber runs on it.
inline void note_no_fiber(machine* m) noexcept {
  if (watchdog_on.load(std::memory_order_relaxed))
    m->watch.store(nullptr, std::memory_order_relaxed);
}

}  // namespace goro::detail
