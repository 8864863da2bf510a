// goro::semaphore.
// SM1: a waiter is admitted (its units added to held_) by release() under lock_ before it is woken;
//      it returns without re-checking.
#include <fmt/format.h>

#include <goro/error.hpp>
#include <goro/semaphore.hpp>

namespace goro {

semaphore::semaphore(std::int64_t capacity) : capacity_(capacity) {
  if (capacity < 0) throw semaphore_error(fmt::format("goro: semaphore capacity {} < 0", capacity));
}

bool semaphore::try_acquire(std::int64_t n) {
  lock_.lock();
  bool ok = waiters_.empty() && capacity_ - held_ >= n;
  if (ok) held_ += n;
  lock_.unlock();
  return ok;
}

void semaphore::acquire(std::int64_t n) {
  if (n < 0 || n > capacity_)
    throw semaphore_error(
        fmt::format("goro: semaphore acquire({}) can never succeed (capacity {})", n, capacity_));
  lock_.lock();
  if (waiters_.empty() && capacity_ - held_ >= n) {
    held_ += n;
    lock_.unlock();
    return;
  }
  detail::waiter w;
  w.data = &n;
  waiters_.push_back(&w);
  w.wait(lock_, detail::wait_reason::semaphore);  // SM1: admitted when woken
}

void semaphore::release(std::int64_t n) {
  lock_.lock();
  if (n < 0 || n > held_) {
    std::int64_t held = held_;
    lock_.unlock();
    throw semaphore_error(fmt::format("goro: semaphore released {} but {} held", n, held));
  }
  held_ -= n;
  detail::waiter* admitted = nullptr;
  while (!waiters_.empty()) {
    std::int64_t want = *static_cast<std::int64_t*>(waiters_.front()->data);
    if (capacity_ - held_ < want) break;  // FIFO: the head waits, and so do those behind it
    held_ += want;
    detail::waiter* w = waiters_.pop_front();
    w->next = admitted;  // unlinked: the link is free to chain the admitted
    admitted = w;
  }
  lock_.unlock();
  detail::wake_all(admitted);
}

}  // namespace goro
