// goro::patterns::broker: publish/subscribe. Each subscriber gets its own buffered channel;
// publish() offers the value to every subscriber without waiting: a subscriber whose
// buffer is full misses it (counted in dropped()), so one slow reader never stalls the
// publisher or the others. unsubscribe (or close()) closes the subscriber's channel.
// Problem: many independent listeners of one stream of events, where the producer must
// not be held back by the slowest listener.
//
//   goro::patterns::broker<std::string> news;
//   auto [id, feed] = news.subscribe(16);
//   news.publish("hello");
//   auto first = feed.recv();   // "hello"
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include <goro/chan.hpp>

namespace goro::patterns {

template <class T>
class broker {
 public:
  struct subscription {
    std::uint64_t id;
    recv_chan<T> feed;
  };

  subscription subscribe(std::size_t buffer = 16) {
    chan<T> c(buffer);
    std::lock_guard g(mu_);
    subs_.emplace(next_, c);
    return {next_++, c};
  }
  void unsubscribe(std::uint64_t id) {
    chan<T> c;
    {
      std::lock_guard g(mu_);
      auto it = subs_.find(id);
      if (it == subs_.end()) return;
      c = std::move(it->second);
      subs_.erase(it);
    }
    c.close();
  }
  // Offers v to every subscriber; returns how many took it.
  std::size_t publish(const T& v) {
    std::lock_guard g(mu_);  // never waits inside: try_send only
    std::size_t took = 0;
    for (auto& [id, c] : subs_) {
      T copy = v;
      if (c.try_send(copy)) {
        ++took;
      } else {
        ++dropped_;
      }
    }
    return took;
  }
  // Closes every subscriber's channel.
  void close() {
    std::map<std::uint64_t, chan<T>> subs;
    {
      std::lock_guard g(mu_);
      subs.swap(subs_);
    }
    for (auto& [id, c] : subs) c.close();
  }
  std::uint64_t dropped() const {
    std::lock_guard g(mu_);
    return dropped_;
  }

 private:
  mutable std::mutex mu_;  // guards the three below
  std::map<std::uint64_t, chan<T>> subs_;
  std::uint64_t next_ = 1;
  std::uint64_t dropped_ = 0;
};

}  // namespace goro::patterns
