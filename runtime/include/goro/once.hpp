// goro::once: Go's sync.Once. call(f) runs f exactly once among all callers; the others
// wait (park, or block a plain thread) until it has finished. If f throws, the exception
// goes to its caller and a later call() tries again (as std::call_once).
// Memory ordering: what f did is visible to every call() that returns.
//
//   goro::once init;
//   config* cfg = nullptr;
//   init.call([&] { cfg = load_config(); });
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include <goro/detail/fiber_api.hpp>

namespace goro {

class once {
 public:
  once() = default;
  once(const once&) = delete;
  once& operator=(const once&) = delete;

  template <class Fn>
  void call(Fn&& fn) {
    // Acquire: pairs with the release in finish(): f's effects are visible.
    if (state_.load(std::memory_order_acquire) == done) return;
    if (!begin()) return;  // another caller ran it while we waited
    try {
      std::forward<Fn>(fn)();
    } catch (...) {
      finish(false);
      throw;
    }
    finish(true);
  }
  bool done_already() const noexcept { return state_.load(std::memory_order_acquire) == done; }

 private:
  static constexpr std::uint32_t idle = 0, running = 1, done = 2;
  bool begin();  // true: the caller must run f
  void finish(bool succeeded);

  std::atomic<std::uint32_t> state_{idle};
  detail::spinlock lock_;
  detail::waiter* waiters_ GORO_GUARDED_BY(lock_) = nullptr;
};

}  // namespace goro
