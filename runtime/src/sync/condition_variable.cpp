// goro::condition_variable.
// CV1: a waiter is queued (under lock_) before its mutex is released, and lock_ is released only
//      after its switch-out (invariant 1), so a notify that follows the unlock always finds it,
//      parked.
#include <goro/condition_variable.hpp>
#include <goro/error.hpp>

namespace goro {

namespace {
struct release_both {
  detail::spinlock* cv_lock;
  goro::mutex* mu;
};
// Runs on the other side of the waiter's switch: the lock analysis cannot follow it.
void release(void* arg) GORO_NO_THREAD_SAFETY_ANALYSIS {
  // The mutex first, while lock_ still keeps notifiers away; read both before either
  // unlock: once lock_ is free the waiter may be woken and its frame (*arg) gone.
  auto* r = static_cast<release_both*>(arg);
  detail::spinlock* cv_lock = r->cv_lock;
  r->mu->unlock();  // may wake the mutex's next waiter: fine from here (a scheduler side)
  cv_lock->unlock();
}
}  // namespace

// lock_ is released by release(), after the switch-out (CV1).
void condition_variable::wait(std::unique_lock<goro::mutex>& lk) GORO_NO_THREAD_SAFETY_ANALYSIS {
  if (!lk.owns_lock()) throw mutex_error("goro: condition_variable::wait without the lock");
  detail::waiter w;
  lock_.lock();
  waiters_.push_back(&w);
  release_both r{&lock_, lk.mutex()};
  w.wait_with(release, &r, detail::wait_reason::cond);  // CV1
  lk.mutex()->lock();
}

void condition_variable::notify_one() {
  lock_.lock();
  detail::waiter* w = waiters_.pop_front();
  lock_.unlock();
  if (w) w->wake();
}

void condition_variable::notify_all() {
  lock_.lock();
  detail::waiter* all = waiters_.take_all();
  lock_.unlock();
  detail::wake_all(all);
}

}  // namespace goro
