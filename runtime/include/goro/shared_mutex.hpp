// goro::shared_mutex (alias goro::rwmutex): Go's sync.RWMutex. Many readers (lock_shared)
// or one writer (lock) hold it; waiting parks a fiber (blocks a plain thread). Meets the
// standard Lockable and SharedLockable requirements: std::lock_guard, std::unique_lock,
// std::scoped_lock and std::shared_lock work. Not recursive: a reader that calls
// lock_shared() again may deadlock behind a waiting writer, as in Go. Safe from any fiber or
// thread; a fiber may unlock what another fiber locked, as in Go.
// Fairness (Go's): once a writer waits, new readers wait behind it, so a stream of readers
// cannot starve a writer; when a writer unlocks, every reader that queued during its hold
// gets in before the next writer, so writers cannot starve readers either.
// Memory ordering: what a writer did before unlock() is visible to every later reader and
// writer; what a reader did before unlock_shared() is visible to the next writer.
// Misuse: unlock() without a write lock, or unlock_shared() with no reader holding it,
// throws goro::mutex_error and leaves the mutex as it was.
//
//   goro::shared_mutex mu;
//   std::map<std::string, int> table;
//   goro::go([&] { std::shared_lock r(mu); use(table.at("x")); });   // readers share it
//   goro::go([&] { std::lock_guard w(mu); table["x"] = 1; });         // a writer excludes all
#pragma once

#include <atomic>
#include <cstdint>

#include <goro/detail/fiber_api.hpp>

namespace goro {

class shared_mutex {
 public:
  shared_mutex() = default;
  shared_mutex(const shared_mutex&) = delete;
  shared_mutex& operator=(const shared_mutex&) = delete;

  // Exclusive (writer) side. lock() is a scheduling point when it waits.
  void lock() {
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    // Acquire: pairs with the release RMWs of the previous writer's unlock() and of every
    // reader's unlock_shared(); their accesses happen before ours.
    if ((s & (readers_mask | writer_one)) != 0 ||
        !state_.compare_exchange_strong(s, s + writer_one, std::memory_order_acquire,
                                        std::memory_order_relaxed))
      lock_slow();
  }
  bool try_lock() noexcept {
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    // Acquire: as in lock().
    return (s & (readers_mask | writer_one)) == 0 &&
           state_.compare_exchange_strong(s, s + writer_one, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void unlock() {
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    // Fast path only with no reader pending and no writer queued (RW5). Release: pairs with
    // the acquire RMW of the next lock(), try_lock(), lock_shared() or try_lock_shared().
    if ((s & (readers_mask | writers_queued_bit | writer_one)) != writer_one ||
        !state_.compare_exchange_strong(s, s + writer_one, std::memory_order_release,
                                        std::memory_order_relaxed))
      unlock_slow();
  }

  // Shared (reader) side. lock_shared() is a scheduling point when it waits.
  void lock_shared() {
    // One RMW, as Go's readerCount.Add(1). Acquire: pairs with the release RMW of the last
    // writer's unlock(). With a writer present the increment registers us as pending (RW2).
    std::uint64_t old = state_.fetch_add(reader_one, std::memory_order_acquire);
    if (old & writer_one) lock_shared_slow(old);
  }
  bool try_lock_shared() noexcept {
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    // Acquire: as in lock_shared(). A failed CAS reloads s (relaxed: only to retry).
    while ((s & writer_one) == 0)
      if (state_.compare_exchange_weak(s, s + reader_one, std::memory_order_acquire,
                                       std::memory_order_relaxed))
        return true;
    return false;
  }
  void unlock_shared() {
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    // Fast path: no writer present, so the readers field counts holders only (RW2). A CAS,
    // not a fetch_sub: a misuse is seen before anything changes. Release: pairs with the
    // acquire RMW of the lock() or try_lock() that finds the readers gone.
    while ((s & writer_one) == 0) {
      if ((s & readers_mask) == 0) throw_unlock_shared();
      if (state_.compare_exchange_weak(s, s - reader_one, std::memory_order_release,
                                       std::memory_order_relaxed))
        return;
    }
    unlock_shared_slow();
  }

 private:
  // state_ layout (RW1):
  //   bits 0-31  readers: holders plus pending readers (RW2)
  //   bit 32     writers_queued: writers_ is non-empty
  //   bits 33-63 writer sequence: odd while a writer is present (holds it, or has claimed it
  //              and waits for the readers to leave); +1 at each claim and each release
  static constexpr std::uint64_t reader_one = 1;
  static constexpr std::uint64_t readers_mask = 0xffff'ffff;
  static constexpr std::uint64_t writers_queued_bit = std::uint64_t{1} << 32;
  static constexpr std::uint64_t writer_one = std::uint64_t{1} << 33;

  void lock_slow();
  void unlock_slow();
  void lock_shared_slow(std::uint64_t seen);
  void unlock_shared_slow();
  [[noreturn]] static void throw_unlock_shared();

  std::atomic<std::uint64_t> state_{0};
  detail::spinlock lock_;
  // Holders a present writer waits for, and that writer while departing_ > 0 (RW3).
  std::uint32_t departing_ GORO_GUARDED_BY(lock_) = 0;
  detail::waiter* drainer_ GORO_GUARDED_BY(lock_) = nullptr;
  detail::waiter_fifo writers_ GORO_GUARDED_BY(lock_);  // waiting for another writer (RW1)
  detail::waiter_fifo readers_ GORO_GUARDED_BY(lock_);  // pending readers that parked (RW4)
};

using rwmutex = shared_mutex;  // Go's name

}  // namespace goro
