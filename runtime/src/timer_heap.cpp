#include "timer_heap.hpp"

#include <utility>

#include "chaos.hpp"

namespace goro::detail {

namespace {
constexpr std::size_t arity = 4;
}

void timer_heap::push(timer* t) {
  t->state.store(timer::queued, std::memory_order_relaxed);  // lock_ orders it
  heap_.push_back(t);
  t->index = heap_.size() - 1;
  sift_up(heap_.size() - 1);
  next_.store(heap_.front()->when, std::memory_order_release);  // T1
}

void timer_heap::erase_at(std::size_t i) {
  timer* last = heap_.back();
  heap_.pop_back();
  if (i < heap_.size()) {
    place(i, last);
    sift_up(i);
    sift_down(last->index);
  }
  next_.store(heap_.empty() ? no_deadline : heap_.front()->when, std::memory_order_release);
}

timer* timer_heap::pop() {
  timer* top = heap_.front();
  erase_at(0);
  top->state.store(timer::firing, std::memory_order_relaxed);  // lock_ held
  return top;
}

bool timer_heap::remove(timer* t) {
  lock_.lock();
  if (t->state.load(std::memory_order_relaxed) == timer::queued) {
    erase_at(t->index);
    t->state.store(timer::idle, std::memory_order_relaxed);
    lock_.unlock();
    return true;
  }
  lock_.unlock();
  t->wait_fired();  // popped by a machine that is firing it (T3)
  return false;
}

bool timer_heap::cancel(timer* t) {
  lock_.lock();
  const bool queued = t->state.load(std::memory_order_relaxed) == timer::queued;
  if (queued) {
    erase_at(t->index);
    t->state.store(timer::idle, std::memory_order_relaxed);
  }
  lock_.unlock();
  return queued;
}

int timer_heap::run_expired(std::int64_t now, bool try_only) {
  if (next() > now) return 0;
  if (try_only) {
    if (!lock_.try_lock()) return 0;
  } else {
    lock_.lock();
  }
  // Collect first, fire after unlocking: fire() may take other locks (a run queue, a
  // channel) and must never run under a heap lock.
  timer* due[64];
  int n = 0;
  while (n < 64 && !heap_.empty() && heap_.front()->when <= now) due[n++] = pop();
  lock_.unlock();
  if (n) GORO_CHAOS_POINT(timer_fire);  // popped (out of next()), not fired yet
  for (int i = 0; i < n; ++i) due[i]->fire(due[i]);
  return n;
}

std::size_t timer_heap::size() const {
  lock_.lock();
  auto n = heap_.size();
  lock_.unlock();
  return n;
}

void timer_heap::sift_up(std::size_t i) {
  timer* t = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / arity;
    if (heap_[parent]->when <= t->when) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void timer_heap::sift_down(std::size_t i) {
  timer* t = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t first = i * arity + 1;
    if (first >= n) break;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < first + arity && c < n; ++c)
      if (heap_[c]->when < heap_[best]->when) best = c;
    if (heap_[best]->when >= t->when) break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, t);
}

}  // namespace goro::detail
