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
  detail::waiter* w = std::exchange(waiters_, nullptr);
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
  w.next = waiters_;
  waiters_ = &w;
  w.wait(lock_, detail::wait_reason::wait_group);
}

}  // namespace goro
