#include "stack_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "debug/fatal.hpp"
#include "debug/hooks.hpp"
#include "switch.hpp"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define GORO_VALGRIND 1
#endif
#if GORO_ASAN  // switch.hpp: an ASan build, which has LeakSanitizer
#include <sanitizer/lsan_interface.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102  // Linux 6.13
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

namespace goro::detail {

namespace {

constexpr std::size_t slab_target_bytes = 64u << 20;  // address space per slab
constexpr std::size_t min_stack = 16 * 1024;
// Guards installed per process_madvise call (K1).
constexpr std::size_t guard_batch = 64;
// process_madvise's "this process" without a pidfd (PIDFD_SELF_THREAD_GROUP, Linux 6.14),
// which also stays right in a forked child.
constexpr int pidfd_self_thread_group = -10001;

std::size_t round_to_pages(std::size_t n) { return (n + page_size - 1) & ~(page_size - 1); }

// Mprotect guards allowed: half of what vm.max_map_count leaves after a reserve for the
// program itself, its allocator and sanitizers (each guard costs 2 VMAs).
std::size_t derive_mprotect_budget() {
  std::size_t max_maps = 65530;
  std::ifstream in("/proc/sys/vm/max_map_count");
  in >> max_maps;
  constexpr std::size_t reserve = 5000;
  return max_maps > reserve ? (max_maps - reserve) / 2 : 0;
}

}  // namespace

stack_pool& stack_pool::instance() {
  // Never destroyed: fibers may outlive statics. Published for debuggers (DH1).
  static stack_pool* pool = goro_debug_stack_pool = new stack_pool;
  return *pool;
}

void stack_pool::configure(std::size_t default_size, stack_guard mode,
                           std::size_t mprotect_budget) {
  guard g(lock_);
  default_size_ = std::max(round_to_pages(default_size ? default_size : 64 * 1024), min_stack);
  force_mprotect_ = mode == stack_guard::mprotect;
  mprotect_budget_ = mprotect_budget ? mprotect_budget : derive_mprotect_budget();
}

stack_pool::size_class& stack_pool::class_for(std::size_t size) {
  for (auto& c : classes_)
    if (c.size == size) return c;
  classes_.push_back(size_class{.size = size});
  return classes_.back();
}

stack stack_pool::carve(size_class& c) {
  const std::size_t slot = c.size + page_size;  // guard page + usable stack
  if (c.carve == c.carve_end) {
    std::size_t n = std::max<std::size_t>(16, slab_target_bytes / slot);
    std::size_t bytes = n * slot;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    c.slab = slabs_.size();
    slabs_.push_back({static_cast<char*>(p), bytes, slot, 0});
    c.carve = static_cast<char*>(p);
    c.carve_end = c.carve + bytes;
    c.guarded_end = c.carve;  // none yet: the old slab's end means nothing here (K1)
  }
  char* base = c.carve;
  // K1: the cheapest guard the kernel and the VMA budget allow.
  const bool installed =
      !force_mprotect_ && kernel_guard_ok_ && (base < c.guarded_end || install_guards(c));
  c.carve += slot;
  slabs_[c.slab].carved += slot;
  stack s{base + page_size, c.size, guard_kind::none};
  if (installed) {
    s.guard = guard_kind::installed;
    return s;
  }
  if (mprotect_used_ < mprotect_budget_ && ::mprotect(base, page_size, PROT_NONE) == 0) {
    ++mprotect_used_;
    s.guard = guard_kind::mprotect;
  }
  return s;
}

// Installs the guards of the next guard_batch slots from c.carve in one process_madvise, or
// of the next slot alone with madvise; true if c.carve's guard is in (K1).
bool stack_pool::install_guards(size_class& c) {
  const std::size_t slot = c.size + page_size;
  if (batch_guard_ok_) {
    iovec iov[guard_batch];
    std::size_t n = 0;
    for (char* p = c.carve; p < c.carve_end && n < guard_batch; p += slot)
      iov[n++] = {p, page_size};
    ++guard_calls_;
    const long done =
        ::syscall(SYS_process_madvise, pidfd_self_thread_group, iov, n, MADV_GUARD_INSTALL, 0u);
    // The guards go in in order: `done` bytes are whole guards from c.carve on.
    const std::size_t guards = done > 0 ? static_cast<std::size_t>(done) / page_size : 0;
    c.guarded_end = c.carve + guards * slot;
    if (guards == n) return true;
    batch_guard_ok_ = false;  // EBADF, EINVAL: before 6.14, or not through process_madvise
    if (guards > 0) return true;
  }
  ++guard_calls_;
  if (::madvise(c.carve, page_size, MADV_GUARD_INSTALL) == 0) return true;
  kernel_guard_ok_ = false;  // EINVAL: kernel older than 6.13
  return false;
}

stack stack_pool::acquire(std::size_t size, stack_cache* cache) {
  GORO_CHECK(size <= max_stack_size, "stack_pool: a stack of {} bytes was asked for", size);
  size = size ? std::max(round_to_pages(size), min_stack) : default_size_;
  stack s;
  const bool cached = cache && size == default_size_;
  if (cached && cache->n > 0) {
    s = cache->slots[--cache->n];
  } else {
    guard g(lock_);
    auto& c = class_for(size);
    // Warm stacks first, then cold ones (K4), then a new one.
    auto& from = !c.free.empty() ? c.free : c.cold;
    if (from.empty()) {
      s = carve(c);
    } else {
      s = from.back();
      from.pop_back();
      // Refill the cache by half while the lock is held: one lock per many spawns.
      while (cached && cache->n < stack_cache::capacity / 2 && !from.empty()) {
        cache->slots[cache->n++] = from.back();
        from.pop_back();
      }
      c.low_water = std::min(c.low_water, c.free.size());
    }
  }
  on_acquire(s);
  return s;
}

void stack_pool::on_acquire(stack& s) {
  if (!s.guarded()) std::memcpy(s.lo, &stack_canary, sizeof stack_canary);
#if GORO_ASAN
  // Objects referenced only from a parked fiber's stack are not leaks.
  __lsan_register_root_region(s.lo, s.size);
#endif
#if GORO_VALGRIND
  // Without this, valgrind warns "client switching stacks?" (RELIABILITY.md §6).
  s.valgrind_id = VALGRIND_STACK_REGISTER(s.lo, s.hi());
#endif
}

void stack_pool::on_release(const stack& s) {
#if GORO_ASAN
  __lsan_unregister_root_region(s.lo, s.size);
#endif
#if GORO_VALGRIND
  VALGRIND_STACK_DEREGISTER(s.valgrind_id);
#endif
  // A dead fiber's frames stay poisoned; a reused stack must start clean (RELIABILITY §3).
  asan_unpoison(s.lo, s.size);
}

void stack_pool::release(const stack& s, stack_cache* cache) noexcept {
  on_release(s);
  if (cache && s.size == default_size_) {
    if (cache->n == stack_cache::capacity) {
      // Keep the newest half (their pages are warm), return the older half.
      guard g(lock_);
      auto& c = class_for(s.size);
      int half = stack_cache::capacity / 2;
      c.free.insert(c.free.end(), cache->slots, cache->slots + half);
      std::move(cache->slots + half, cache->slots + cache->n, cache->slots);
      cache->n -= half;
    }
    cache->slots[cache->n++] = s;
    return;
  }
  guard g(lock_);
  class_for(s.size).free.push_back(s);
}

void stack_pool::drain(stack_cache& cache) noexcept {
  if (cache.n == 0) return;
  guard g(lock_);
  for (int i = 0; i < cache.n; ++i) class_for(cache.slots[i].size).free.push_back(cache.slots[i]);
  cache.n = 0;
}

bool stack_pool::scavenge() noexcept {
  std::vector<stack> batch;
  bool more = false;
  {
    guard g(lock_);
    std::size_t budget = scavenge_batch;
    for (auto& c : classes_) {
      // K4: the oldest low_water stacks were not taken since the last call.
      const std::size_t idle = std::min(c.low_water, c.free.size());
      const std::size_t excess = idle > scavenge_keep ? idle - scavenge_keep : 0;
      const std::size_t take = std::min(excess, budget);
      const auto end = c.free.begin() + static_cast<std::ptrdiff_t>(take);
      batch.insert(batch.end(), c.free.begin(), end);
      c.free.erase(c.free.begin(), end);
      budget -= take;
      // The ones left over by the budget are still known to be idle; else a new period.
      c.low_water = take < excess ? idle - take : c.free.size();
      more |= take < excess;
    }
  }
  if (batch.empty()) return false;
  // Outside the lock: spawns go on meanwhile. The usable pages only; a guard stays.
  for (const stack& st : batch) ::madvise(st.lo, st.size, MADV_DONTNEED);
  guard g(lock_);
  for (const stack& st : batch) class_for(st.size).cold.push_back(st);
  scavenged_ += batch.size();
  return more;
}

bool stack_pool::scavenge_pending() const {
  guard g(lock_);
  for (const auto& c : classes_)
    if (c.free.size() > scavenge_keep) return true;
  return false;
}

std::size_t stack_pool::scavenged() const {
  guard g(lock_);
  return scavenged_;
}

void stack_pool::trim() noexcept {
  guard g(lock_);
  for (auto& s : slabs_) ::munmap(s.base, s.bytes);
  slabs_.clear();
  classes_.clear();
  mprotect_used_ = 0;
}

void stack_pool::for_each_stack_top(void (*fn)(char* top, void* arg), void* arg) const {
  guard g(lock_);
  for (const auto& s : slabs_)
    for (std::size_t off = s.slot; off <= s.carved; off += s.slot) fn(s.base + off, arg);
}

std::size_t stack_pool::mprotect_guards() const {
  guard g(lock_);
  return mprotect_used_;
}

std::size_t stack_pool::guard_calls() const {
  guard g(lock_);
  return guard_calls_;
}

std::size_t stack_pool::mapped_bytes() const {
  guard g(lock_);
  std::size_t n = 0;
  for (auto& s : slabs_) n += s.bytes;
  return n;
}

}  // namespace goro::detail
