#include <goro/wait_group.hpp>

#include <utility>

#include <fmt/format.h>
#include <goro/error.hpp>

namespace goro {

void wait_group::add(std::int64_t n) {
  // acq_rel: done() publishes the fiber's work; the release of the last one is acquired by
  // the waiters through lock_ below (or through the acquire load in wait()).
  auto v = count_.fetch_add(n, std::memory_order_acq_rel) + n;
  if (v < 0) {
    count_.fetch_sub(n, std::memory_order_relaxed);
    throw wait_group_error(fmt::format("goro: negative wait_group counter ({})", v));
  }
  if (v != 0 || n >= 0) return;
  lock_.lock();
  detail::waiter* w = waiters_.take_all();
  for (detail::waiter* x = w; x; x = x->next) x->data = nullptr;  // dequeued
  lock_.unlock();
  detail::wake_all(w);
}

void wait_group::wait() {
  // Pairs with the acq_rel fetch_add in add(): a zero seen here publishes the done() work.
  if (count_.load(std::memory_order_acquire) == 0) return;
  lock_.lock();
  // Checked under lock_: add() empties the list under lock_ after the count reaches zero,
  // so either we see zero here, or add() sees our waiter. No lost wakeup.
  if (count_.load(std::memory_order_acquire) == 0) {
    lock_.unlock();
    return;
  }
  detail::waiter w;
  w.data = &w;  // queued
  waiters_.push_back(&w);
  w.wait(lock_, detail::wait_reason::wait_group);
}

bool wait_group::wait(std::stop_token st) {
  if (!st.stop_possible()) {
    wait();
    return true;
  }
  if (count_.load(std::memory_order_acquire) == 0) return true;  // as in wait()
  detail::waiter w;
  bool stopped = false;  // written by the callback under lock_, read after the wake
  auto on_stop = [this, &w, &stopped]() noexcept {
    lock_.lock();
    if (!w.data) {  // not queued (yet, or any more): wait() checks stop_requested() itself
      lock_.unlock();
      return;
    }
    waiters_.remove(&w);
    w.data = nullptr;
    stopped = true;
    lock_.unlock();
    w.wake();  // W2: the waiter's destruction of on_stop's callback waits for our return
  };
  // Registered before lock_ is taken: a stop already requested runs on_stop here, finding
  // nothing queued. Destroyed before w (declared after it), waiting for a running callback.
  std::stop_callback cb(st, on_stop);
  lock_.lock();
  if (count_.load(std::memory_order_acquire) == 0) {  // see wait()
    lock_.unlock();
    return true;
  }
  if (st.stop_requested()) {  // before we were queued: no callback will wake us
    lock_.unlock();
    return false;
  }
  // A stop requested from here on finds w queued (or already dequeued by add()).
  w.data = &w;
  waiters_.push_back(&w);
  w.wait(lock_, detail::wait_reason::wait_group);
  return !stopped;  // the waker (add() or on_stop) wrote it, or not, before waking us
}

}  // namespace goro
