// Internal. global_queue: the run queue shared by all processors (Go's sched.runq): fibers
// readied by plain threads, spilled from full local queues, or queued by a machine that
// lost its processor. A growable ring of pointers, so that queuing never touches the fibers
// themselves (their control blocks sit on separate stacks, a cache miss each).
// G1: every member but size() is called under scheduler::lock.
// G2: size() mirrors the count with one seq_cst store per operation; machines read it
//     without the lock (R2 in scheduler.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace goro::detail {

struct fiber;

class global_queue {
 public:
  void push(fiber* f) {
    if (count_ == ring_.size()) grow();
    ring_[(head_ + count_++) & (ring_.size() - 1)] = f;
    publish();
  }
  void push_batch(fiber* const* fs, std::size_t n) {
    while (count_ + n > ring_.size()) grow();
    for (std::size_t i = 0; i < n; ++i) ring_[(head_ + count_++) & (ring_.size() - 1)] = fs[i];
    publish();
  }
  // At the head, in this order: taken before every fiber queued now (fibers that ran
  // already, spilled from a full local queue; a timer found overdue by the monitor).
  void push_front(fiber* const* fs, std::size_t n) {
    while (count_ + n > ring_.size()) grow();
    for (std::size_t i = n; i-- > 0;) {
      head_ = (head_ - 1) & (ring_.size() - 1);
      ring_[head_] = fs[i];
      ++count_;
    }
    publish();
  }
  // Takes up to `max` fibers from the head into out; returns how many.
  std::size_t pop_batch(fiber** out, std::size_t max) {
    std::size_t n = count_ < max ? count_ : max;
    for (std::size_t i = 0; i < n; ++i) out[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    head_ = (head_ + n) & (ring_.size() - 1);
    count_ -= n;
    if (n) publish();
    return n;
  }
  fiber* pop() {
    fiber* f = nullptr;
    return pop_batch(&f, 1) ? f : nullptr;
  }
  std::int64_t size() const { return size_.load(std::memory_order_seq_cst); }  // G2
  void clear() {
    head_ = count_ = 0;
    publish();
  }

 private:
  void publish() { size_.store(static_cast<std::int64_t>(count_), std::memory_order_seq_cst); }
  void grow() {
    std::vector<fiber*> bigger(ring_.empty() ? 1024 : ring_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }

  std::vector<fiber*> ring_;  // capacity: a power of two
  std::size_t head_ = 0, count_ = 0;
  std::atomic<std::int64_t> size_{0};
};

}  // namespace goro::detail
