// goro::once.
// O1: waiters queue under lock_ and are woken by finish() after it publishes the new state; a
//     waiter re-checks the state (a failed f lets the next caller run it).
#include <goro/once.hpp>

namespace goro {

bool once::begin() {
  for (;;) {
    std::uint32_t s = idle;
    if (state_.compare_exchange_strong(s, running, std::memory_order_acquire)) return true;
    if (s == done) return false;
    lock_.lock();
    if (state_.load(std::memory_order_acquire) != running) {  // finished meanwhile
      lock_.unlock();
      continue;
    }
    detail::waiter w;
    w.next = waiters_;
    waiters_ = &w;
    w.wait(lock_, detail::wait_reason::cond);
    if (state_.load(std::memory_order_acquire) == done) return false;
  }
}

void once::finish(bool succeeded) {
  lock_.lock();
  // Release: pairs with the acquire loads in call()/begin(): f's effects are visible.
  state_.store(succeeded ? done : idle, std::memory_order_release);
  detail::waiter* w = std::exchange(waiters_, nullptr);
  lock_.unlock();
  detail::wake_all(w);
}

}  // namespace goro
