// Internal. fiber: a goroutine's control block (Go's g). It lives at the top of its own
// stack, with the spawn payload (callable, result) just below it: one pooled stack per
// fiber and no other allocation.
// F1: state moves created -> runnable -> running -> (parked -> runnable -> running)* -> dead.
//     Only the scheduler of the machine that switched it out sets `parked`, after the switch
//     (invariant 1); only ready() moves parked -> runnable, by CAS, so a double wake is
//     caught, not run twice.
// F2: refs counts the fiber itself (until its final switch) and a join handle (until join
//     or detach). The last reference returns the stack; the control block dies with it.
// F3: `done`, `joiner`, `detached`, `abandoned` and `exception` hand-offs between the fiber
//     and its handle happen under join_lock.
// F5: a fiber that shutdown() leaves unfinished is marked `abandoned` (it never runs again):
//     its join() throws goro::runtime_error instead of waiting forever.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>

#include <goro/detail/fiber_api.hpp>

#include "stack_pool.hpp"
#include "switch.hpp"

namespace goro {
class wait_group;
}

namespace goro::detail {

struct machine;

// inspected: parked, and held so by a dump reading its stack; ready() waits for it to be
// parked again (DU1 in debug/dump.cpp).
enum class fiber_state : std::uint32_t { created, runnable, running, parked, dead, inspected };
const char* to_string(fiber_state s) noexcept;

// F4: a control block carries `magic` from the end of its creation (a release store, after
//     id, name and spawn_pc are set) to its destruction, so that a walk over every stack
//     (for_each_fiber, acquiring it) tells live control blocks from stale memory and sees
//     their fields. The word is only ever accessed atomically (std::atomic_ref), and the
//     constructor leaves it alone: a walk may read it while a fiber is being constructed on
//     that stack, and an initialization (even to 0) would be a plain write racing with it.
inline constexpr std::uint64_t fiber_magic = 0x676f'726f'6669'6265ULL;

struct fiber {
  context ctx;
  std::uint64_t id = 0;
  std::atomic<fiber_state> state{fiber_state::created};  // F1
  std::atomic<std::uint32_t> refs{1};                    // F2
  wait_reason reason = wait_reason::none;
  bool detached = false;   // F3
  bool done = false;       // F3
  bool abandoned = false;  // F3, F5
  const payload_ops* ops = nullptr;
  void* payload = nullptr;
  waiter* joiner = nullptr;           // F3
  goro::wait_group* group = nullptr;  // spawn_options::group: done() at the very end
  std::exception_ptr exception;       // F3
  spinlock join_lock;
  stack stk;
  switch_record exit_record;  // the final switch's record (see fiber_main)
  char name[32] = {};
  std::uintptr_t spawn_pc = 0;    // a code address in the spawning function (dumps)
  machine* last_m = nullptr;      // migrate mode: where it ran last (deterministic/)
  std::int64_t parked_since = 0;  // coarse ns, about the last park (processor::pass_clock)
  std::uint64_t magic;            // F4: no initializer, atomic accesses only (magic_word)

  fiber() = default;
  fiber(const fiber&) = delete;
  fiber& operator=(const fiber&) = delete;
  // An atomic store: not removed as a dead store to an ending object (F4).
  ~fiber() { magic_word().store(0, std::memory_order_relaxed); }

  std::atomic_ref<std::uint64_t> magic_word() noexcept { return std::atomic_ref(magic); }

  bool canary_intact() const {
    return stk.guarded() || *reinterpret_cast<const std::uint64_t*>(stk.lo) == stack_canary;
  }
};

[[noreturn]] void report_canary_overflow(const fiber* f);
// K1: at every switch-out (and yield), an unguarded stack's canary must be intact.
inline void check_stack(const fiber* f) {
  if (!f->canary_intact()) [[unlikely]]
    report_canary_overflow(f);
}

// Releases one reference (F2); the last one frees the fiber and its stack.
void fiber_unref(fiber* f) noexcept;

// The bytes a control block takes at the top of its stack (a cache-line multiple).
inline constexpr std::size_t fiber_block = (sizeof(fiber) + 63) & ~std::size_t{63};

// The control block at the top of a stack whose top is `top`.
inline fiber* fiber_at(char* top) noexcept { return reinterpret_cast<fiber*>(top - fiber_block); }

// Calls fn on every fiber that has not been freed (created, runnable, running, parked, or
// dead and still referenced by a join handle), walking the stack pool. The caller makes
// sure the fibers it reads are not changing (a quiescent runtime: the deadlock report, a
// dump), or reads only their atomic fields.
void for_each_fiber(void (*fn)(fiber* f, void* arg), void* arg);

// Whether any control block is still live on a stack: a fiber not yet freed, such as one
// that ended while its join_handle was neither joined nor dropped (F2). The stacks must stay
// mapped while one is (K3 in stack_pool.hpp). For a quiescent runtime (shutdown).
bool any_fiber_block_live();

// F5: marks every fiber that has not ended abandoned, and makes a plain thread waiting to
// join one throw. For shutdown, once every machine has stopped.
void abandon_unfinished_fibers();

// Describes a fiber for messages: "fiber 17 (name)".
struct fiber_label {
  char text[64];
  explicit fiber_label(const fiber* f) noexcept;
};

}  // namespace goro::detail
