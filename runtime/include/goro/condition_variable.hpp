// goro::condition_variable: Go's sync.Cond with the standard's interface. wait() atomically
// releases the goro::mutex and parks the fiber (blocks a plain thread) until notified, then
// re-locks. Spurious wake-ups do not happen, but use the predicate form anyway. Safe from any
// fiber or thread.
// Memory ordering: as the mutex's (the waiter re-acquires it).
//
//   goro::mutex mu; goro::condition_variable cv; bool ready = false;
//   goro::go([&] { std::lock_guard g(mu); ready = true; cv.notify_one(); });
//   std::unique_lock lk(mu);
//   cv.wait(lk, [&] { return ready; });
#pragma once

#include <mutex>

#include <goro/detail/fiber_api.hpp>
#include <goro/mutex.hpp>

namespace goro {

class condition_variable {
 public:
  condition_variable() = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  // Releases lk's mutex and waits for a notify; re-locks before returning. A scheduling point.
  // Throws goro::mutex_error if lk does not own its mutex.
  void wait(std::unique_lock<goro::mutex>& lk);
  template <class Pred>
  void wait(std::unique_lock<goro::mutex>& lk, Pred pred) {
    while (!pred()) wait(lk);
  }
  void notify_one();  // wakes the longest waiter, if any
  void notify_all();  // wakes every waiter

 private:
  detail::spinlock lock_;
  detail::waiter_fifo waiters_ GORO_GUARDED_BY(lock_);
};

}  // namespace goro
