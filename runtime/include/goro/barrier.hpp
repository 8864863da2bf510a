// goro::barrier: a reusable rendezvous of n participants (std::barrier's arrive_and_wait).
// The last to arrive runs the completion function, then releases the others; the barrier
// is then ready for the next phase. Safe from any fiber or thread.
// Memory ordering: what every participant did before arriving is visible to all of them
// after arrive_and_wait() returns (and to the completion function).
//
//   goro::barrier step(workers, [&] { swap(grid, next_grid); });
//   for (int t = 0; t < steps; ++t) { compute_my_rows(); step.arrive_and_wait(); }
#pragma once

#include <cstdint>
#include <functional>

#include <goro/detail/fiber_api.hpp>

namespace goro {

class barrier {
 public:
  explicit barrier(std::int64_t participants, std::function<void()> on_completion = {});
  barrier(const barrier&) = delete;
  barrier& operator=(const barrier&) = delete;

  // Waits until all participants of this phase arrived. A scheduling point. Returns the
  // phase number that completed (0, 1, ...).
  std::uint64_t arrive_and_wait();

 private:
  detail::spinlock lock_;
  const std::int64_t participants_;
  std::function<void()> on_completion_;
  std::int64_t arrived_ GORO_GUARDED_BY(lock_) = 0;
  std::uint64_t phase_ GORO_GUARDED_BY(lock_) = 0;
  detail::waiter* waiters_ GORO_GUARDED_BY(lock_) = nullptr;
};

}  // namespace goro
