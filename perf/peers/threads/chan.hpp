// perf/peers/threads/chan.hpp: the std::thread peers' channel: a std::mutex and three
// std::condition_variables around a ring buffer, with Go's semantics for what the suite uses.
// Capacity 0 is unbuffered: send() returns once a receiver has taken its value. recv()
// returns the next value, or empty once the channel is closed and drained. Sending on a
// closed channel is not supported (the workloads close after their last send).
// An unbuffered hand-off notifies after unlocking, so that the woken thread does not at once
// block on the mutex its waker still holds (2.5x faster ping-pong on the suite's machine);
// the buffered path notifies under the lock (faster there for 4:4).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace perf {

template <class T>
class thread_chan {
 public:
  explicit thread_chan(std::size_t capacity) : buf_(capacity == 0 ? 1 : capacity), cap_(capacity) {}

  void send(T v) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return count_ < buf_.size(); });
    buf_[(head_ + count_) % buf_.size()] = std::move(v);
    ++count_;
    if (cap_ > 0) {
      not_empty_.notify_one();
      return;
    }
    std::int64_t ticket = ++sent_;  // a hand-off: wait until a receiver has taken it
    lock.unlock();
    not_empty_.notify_one();
    lock.lock();
    taken_.wait(lock, [&] { return received_ >= ticket; });
  }

  std::optional<T> recv() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return count_ > 0 || closed_; });
    if (count_ == 0) return std::nullopt;  // closed and drained
    std::optional<T> v(std::move(buf_[head_]));
    head_ = (head_ + 1) % buf_.size();
    --count_;
    if (cap_ > 0) {
      not_full_.notify_one();
      return v;
    }
    ++received_;
    lock.unlock();
    not_full_.notify_one();  // the next sender may fill the slot
    taken_.notify_all();     // the sender of this value (and any later one)
    return v;
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_, taken_;
  std::vector<T> buf_;  // all guarded by mu_
  std::size_t cap_, head_ = 0, count_ = 0;
  std::int64_t sent_ = 0, received_ = 0;
  bool closed_ = false;
};

}  // namespace perf
