#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include <goro/error.hpp>
#include <goro/wait_group.hpp>

#include "chaos.hpp"

namespace goro {

namespace {

constexpr std::uint64_t one_waiter = 1;

std::int32_t count_of(std::uint64_t s) { return static_cast<std::int32_t>(s >> 32); }
std::uint32_t waiters_of(std::uint64_t s) { return static_cast<std::uint32_t>(s); }

}  // namespace

void wait_group::add(std::int64_t n) {
  if (n > std::numeric_limits<std::int32_t>::max() || n < std::numeric_limits<std::int32_t>::min())
    throw wait_group_error(fmt::format("goro: wait_group add({}) out of range", n));
  const std::uint64_t delta = static_cast<std::uint64_t>(n) << 32;  // two's complement wrap
  // acq_rel: done() publishes the fiber's work to the waiters, which acquire it through
  // their load or CAS of state_ (or through lock_, below).
  const std::uint64_t s = state_.fetch_add(delta, std::memory_order_acq_rel) + delta;
  const std::int64_t v = count_of(s);
  if (v < 0) {
    state_.fetch_sub(delta, std::memory_order_relaxed);
    throw wait_group_error(fmt::format("goro: negative wait_group counter ({})", v));
  }
  const std::uint32_t registered = waiters_of(s);
  if (v != 0 || n >= 0 || registered == 0) return;  // WG1: nothing touched after the RMW
  // Zero with `registered` waiters, none of which can leave before we release it (WG1, WG2).
  state_.fetch_sub(registered, std::memory_order_relaxed);  // ready for the next round
  lock_.lock();
  detail::waiter* chain = waiters_.take_all();
  std::uint32_t queued = 0;
  for (detail::waiter* x = chain; x; x = x->next, ++queued) x->data = nullptr;  // dequeued
  released_ += registered - queued;  // the late ones take these under lock_
  lock_.unlock();  // our last touch of *this: from here on every waiter may return
  GORO_CHAOS_POINT(wait_group_zero);
  detail::wake_all(chain);
}

void wait_group::wait() { wait_impl(nullptr); }

bool wait_group::wait(std::stop_token st) {
  if (!st.stop_possible()) return wait_impl(nullptr);
  return wait_impl(&st);
}

bool wait_group::wait_impl(std::stop_token* st) {
  // Register (WG1). acquire: a zero seen here publishes the done() work (add()'s acq_rel).
  std::uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (count_of(s) == 0) return true;
    if (st && st->stop_requested()) return false;
    if (state_.compare_exchange_weak(s, s + one_waiter, std::memory_order_acq_rel,
                                     std::memory_order_acquire))
      break;
  }
  detail::waiter w;
  bool stopped = false;  // set by on_stop under lock_, read after our wake-up
  // Under lock_: unregisters a queued waiter while the count is above zero (WG2).
  auto unregister = [this]() {
    std::uint64_t x = state_.load(std::memory_order_relaxed);
    while (count_of(x) > 0)
      if (state_.compare_exchange_weak(x, x - one_waiter, std::memory_order_relaxed)) return true;
    return false;  // an add() reached zero: it releases us
  };
  auto on_stop = [this, &w, &stopped, &unregister]() noexcept {
    lock_.lock();
    if (!w.data || !unregister()) {  // not queued yet (wait_impl checks), or being released
      lock_.unlock();
      return;
    }
    waiters_.remove(&w);
    w.data = nullptr;
    stopped = true;
    lock_.unlock();
    w.wake();  // W2; our owner's ~stop_callback waits for this call to return
  };
  // Registered before lock_ is taken: a stop requested already runs on_stop here, which
  // finds nothing queued. Destroyed before w, waiting for a callback running elsewhere.
  std::optional<std::stop_callback<decltype(on_stop)>> cb;
  if (st) cb.emplace(*st, on_stop);
  lock_.lock();
  if (released_ > 0) {  // add() reached zero before we queued
    --released_;
    lock_.unlock();
    return true;
  }
  if (st && st->stop_requested() && unregister()) {  // no callback will find us queued
    lock_.unlock();
    return false;
  }
  w.data = &w;  // queued
  waiters_.push_back(&w);
  w.wait(lock_, detail::wait_reason::wait_group);
  return !stopped;  // written (or not) by our waker before the wake-up
}

}  // namespace goro
