// Internal. global_queue: the run queue shared by all processors (Go's sched.runq): fibers
// readied by plain threads, spilled from full local queues, or queued by a machine that
// lost its processor. Growable rings of pointers, so that queuing never touches the fibers
// themselves (their control blocks sit on separate stacks, a cache miss each).
// Two rings, each FIFO: fibers that ran before (readied, yielded, blocked) and fresh ones
// (spawns that never ran, spilled from a full local queue or started by a plain thread).
// Takers serve the first ring before the second, but the second first every
// fresh_interval-th take: a fiber a timer or a socket readies never waits behind a backlog
// of a million spawns, and a stream of readied fibers cannot starve the spawns.
// G1: every member but size() is called under scheduler::lock.
// G2: size() mirrors the total count with one seq_cst store per operation; machines read it
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
  static constexpr unsigned fresh_interval = 8;

  // At the tail of the ring of fibers that ran before.
  void push(fiber* f) { push_batch(&f, 1); }
  void push_batch(fiber* const* fs, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) ran_.push_back(fs[i]);
    publish();
  }
  // At the head of that ring, in this order: before every fiber queued now (a timer found
  // overdue by the monitor, whose fiber is late already).
  void push_front(fiber* const* fs, std::size_t n) {
    for (std::size_t i = n; i-- > 0;) ran_.push_front(fs[i]);
    publish();
  }
  // At the tail of the ring of fresh fibers.
  void push_fresh(fiber* const* fs, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) fresh_.push_back(fs[i]);
    publish();
  }
  // Takes up to `max` fibers into out, from the rings' heads in the order above; returns
  // how many.
  std::size_t pop_batch(fiber** out, std::size_t max) {
    const bool fresh_first = ++takes_ % fresh_interval == 0;
    ring& a = fresh_first ? fresh_ : ran_;
    ring& b = fresh_first ? ran_ : fresh_;
    std::size_t n = a.pop_into(out, max);
    n += b.pop_into(out + n, max - n);
    if (n) publish();
    return n;
  }
  fiber* pop() {
    fiber* f = nullptr;
    return pop_batch(&f, 1) ? f : nullptr;
  }
  std::int64_t size() const { return size_.load(std::memory_order_seq_cst); }  // G2
  void clear() {
    ran_.clear();
    fresh_.clear();
    publish();
  }

 private:
  struct ring {
    std::vector<fiber*> slots;  // capacity: a power of two
    std::size_t head = 0, count = 0;

    void push_back(fiber* f) {
      if (count == slots.size()) grow();
      slots[(head + count++) & (slots.size() - 1)] = f;
    }
    void push_front(fiber* f) {
      if (count == slots.size()) grow();
      head = (head - 1) & (slots.size() - 1);
      slots[head] = f;
      ++count;
    }
    std::size_t pop_into(fiber** out, std::size_t max) {
      const std::size_t n = count < max ? count : max;
      for (std::size_t i = 0; i < n; ++i) out[i] = slots[(head + i) & (slots.size() - 1)];
      if (n) head = (head + n) & (slots.size() - 1);
      count -= n;
      return n;
    }
    void clear() { head = count = 0; }
    void grow() {
      std::vector<fiber*> bigger(slots.empty() ? 1024 : slots.size() * 2);
      for (std::size_t i = 0; i < count; ++i) bigger[i] = slots[(head + i) & (slots.size() - 1)];
      slots.swap(bigger);
      head = 0;
    }
  };

  void publish() {
    size_.store(static_cast<std::int64_t>(ran_.count + fresh_.count), std::memory_order_seq_cst);
  }

  ring ran_, fresh_;
  unsigned takes_ = 0;
  std::atomic<std::int64_t> size_{0};
};

}  // namespace goro::detail
