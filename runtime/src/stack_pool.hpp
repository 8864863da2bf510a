// Internal. stack_pool: fiber stacks, pooled and carved from large MAP_NORESERVE mappings
// (slabs), committed lazily by the kernel as they are touched.
// K1: each stack's lowest page is a guard: MADV_GUARD_INSTALL where the kernel has it (one
//     VMA per slab however many guards), else mprotect while the VMA budget lasts (2 VMAs
//     per guard), else none: the stack then carries a canary word at its low end, checked
//     at every switch-out of its fiber. The mode of each stack is recorded in it.
//     Installed guards go in ahead, guard_batch slots of a slab per process_madvise call
//     (kernel 6.14+; one madvise per stack before that): a slot below its class's
//     `guarded_end` has its guard already.
// K2: a stack is owned by exactly one of: a fiber, a processor's cache, the global free
//     list. Only the machine holding a processor touches its cache.
// K3: slabs are unmapped only by trim(), when no stack is in use: no fiber runs or waits, and
//     no join_handle holds an ended fiber's stack (its control block is on it). Otherwise
//     they stay mapped, and the stacks come back to the free lists when released.
// K4: scavenging (Go's scavenger, for stacks): the free stacks that no spawn took during a
//     whole period (the oldest `low_water` of a free list, beyond scavenge_keep) give their
//     pages back to the kernel (MADV_DONTNEED; the guard page is left alone) and move to the
//     class's cold list, taken only when no warm one is left. Between its two holds of
//     lock_ the scavenger owns the stacks it returns (a fourth owner for K2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include <goro/detail/thread_safety.hpp>
#include <goro/runtime.hpp>

namespace goro::detail {

enum class guard_kind : std::uint8_t { none, installed, mprotect };

struct stack {
  char* lo = nullptr;    // lowest usable byte, just above the guard page
  std::size_t size = 0;  // usable bytes
  guard_kind guard = guard_kind::none;
  unsigned valgrind_id = 0;  // registration id when built with valgrind's headers

  char* hi() const { return lo + size; }
  bool guarded() const { return guard != guard_kind::none; }
};

inline constexpr std::size_t page_size = 4096;
// The largest usable stack a fiber or the runtime's default may ask for. Sizes are checked
// against it before any arithmetic (a size near SIZE_MAX would wrap when rounded to pages).
inline constexpr std::size_t max_stack_size = std::size_t{1} << 30;
inline constexpr std::uint64_t stack_canary = 0x60'70'0c'a2'a2'7c'11'11ULL;

// A processor's private cache of default-size stacks (K2).
struct stack_cache {
  static constexpr int capacity = 64;
  stack slots[capacity];
  int n = 0;
};

class stack_pool {
 public:
  static stack_pool& instance();

  // Configures guards and the default size; called at runtime start.
  void configure(std::size_t default_size, stack_guard mode, std::size_t mprotect_budget);
  std::size_t default_size() const { return default_size_; }

  // A stack of at least `size` usable bytes (0: default; at most max_stack_size, which the
  // caller checked). Throws std::bad_alloc if the address space is exhausted.
  stack acquire(std::size_t size, stack_cache* cache);
  void release(const stack& s, stack_cache* cache) noexcept;
  // Moves a cache's stacks to the global free lists.
  void drain(stack_cache& cache) noexcept;
  // Unmaps every slab (K3); the caller guarantees no stack is in use.
  void trim() noexcept;
  // K4: returns the pages of the free stacks unused since the last call, keeping the
  // newest scavenge_keep of each size warm, at most scavenge_batch stacks a call (about a
  // millisecond of madvise). True if more are due at once (the batch was full). Called by
  // the monitor, about once a second; never concurrently with itself or trim().
  bool scavenge() noexcept;
  // Whether free stacks beyond the reserve are waiting for a scavenge (the monitor, idle,
  // wakes once more for them).
  bool scavenge_pending() const;
  static constexpr std::size_t scavenge_keep = 256;
  static constexpr std::size_t scavenge_batch = 1024;

  // Calls fn(top, arg) with the top (hi()) of every stack ever carved, in use or not, in
  // address order per slab. lock_ is held meanwhile: fn must not call into the pool.
  void for_each_stack_top(void (*fn)(char* top, void* arg), void* arg) const;

  // Figures for tests and stats.
  std::size_t mprotect_guards() const;
  std::size_t guard_calls() const;  // system calls that installed guards (K1), ever
  std::size_t scavenged() const;    // stacks whose pages were returned (K4), ever
  std::size_t mapped_bytes() const;
  bool kernel_guard_install() const { return kernel_guard_ok_; }
  bool batch_guard_install() const { return kernel_guard_ok_ && batch_guard_ok_; }

 private:
  struct slab {
    char* base;
    std::size_t bytes;
    std::size_t slot;    // guard page + usable stack
    std::size_t carved;  // bytes handed out so far, from base
  };
  struct size_class {
    std::size_t size;           // usable bytes
    std::vector<stack> free;    // warm (pages touched), oldest first
    std::vector<stack> cold;    // pages returned (K4)
    std::size_t low_water = 0;  // free.size()'s minimum since scavenge()
    char* carve = nullptr;      // next unused slot of the newest slab
    char* carve_end = nullptr;
    char* guarded_end = nullptr;  // K1: the slots below it (from carve) have their guards
    std::size_t slab = 0;         // index in slabs_ of the slab being carved
  };

  size_class& class_for(std::size_t size) GORO_REQUIRES(lock_);
  stack carve(size_class& c) GORO_REQUIRES(lock_);
  bool install_guards(size_class& c) GORO_REQUIRES(lock_);  // K1, ahead of carve
  void on_acquire(stack& s);
  void on_release(const stack& s);

  mutable checked_mutex lock_;  // never held across a switch
  // The fields of each size_class are guarded by lock_ too (the analysis cannot name an
  // enclosing object's lock).
  std::vector<size_class> classes_ GORO_GUARDED_BY(lock_);
  std::vector<slab> slabs_ GORO_GUARDED_BY(lock_);
  std::size_t default_size_ = 64 * 1024;
  bool force_mprotect_ = false;
  bool kernel_guard_ok_ = true;  // cleared when MADV_GUARD_INSTALL fails
  bool batch_guard_ok_ = true;   // cleared when process_madvise cannot install them
  std::size_t guard_calls_ GORO_GUARDED_BY(lock_) = 0;
  std::size_t scavenged_ GORO_GUARDED_BY(lock_) = 0;
  std::size_t mprotect_budget_ = 0;
  std::size_t mprotect_used_ GORO_GUARDED_BY(lock_) = 0;
};

}  // namespace goro::detail
