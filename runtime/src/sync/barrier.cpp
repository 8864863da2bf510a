// goro::barrier.
// B1: the completion function runs under no lock, after the last arrival and before any waiter of
//     the phase is woken (none can arrive for the next phase before).
#include <fmt/format.h>

#include <goro/barrier.hpp>
#include <goro/error.hpp>

namespace goro {

barrier::barrier(std::int64_t participants, std::function<void()> on_completion)
    : participants_(participants), on_completion_(std::move(on_completion)) {
  if (participants < 1)
    throw error(fmt::format("goro: barrier of {} participants (want >= 1)", participants));
}

std::uint64_t barrier::arrive_and_wait() {
  lock_.lock();
  const std::uint64_t phase = phase_;
  if (++arrived_ < participants_) {
    detail::waiter w;
    w.next = waiters_;
    waiters_ = &w;
    w.wait(lock_, detail::wait_reason::cond);
    return phase;
  }
  detail::waiter* all = waiters_;
  waiters_ = nullptr;
  arrived_ = 0;
  ++phase_;
  lock_.unlock();
  if (on_completion_) on_completion_();  // B1: before anyone of this phase goes on
  detail::wake_all(all);
  return phase;
}

}  // namespace goro
