// samples/redis/pubsub.cpp: the channel and pattern registry.
// PS1: a subscriber* is in the registry only between its connection's first subscribe and
//      its last unsubscribe; the connection removes it before its subscriber dies.
// PS2: publish() never waits while holding mu_: try_send only.
#include "pubsub.hpp"

#include <algorithm>
#include <mutex>

#include "glob.hpp"
#include "resp.hpp"

namespace redis {

namespace {

bool add(std::vector<subscriber*>& v, subscriber* s) {
  if (std::find(v.begin(), v.end(), s) != v.end()) return false;
  v.push_back(s);
  return true;
}
template <class Map, class Key>
bool remove(Map& m, const Key& key, subscriber* s) {
  auto it = m.find(key);
  if (it == m.end()) return false;
  auto& v = it->second;
  auto at = std::find(v.begin(), v.end(), s);
  if (at == v.end()) return false;
  v.erase(at);
  if (v.empty()) m.erase(it);
  return true;
}

}  // namespace

bool pubsub::subscribe(subscriber* s, const std::string& channel) {
  std::lock_guard g(mu_);
  return add(channels_[channel], s);
}
bool pubsub::unsubscribe(subscriber* s, const std::string& channel) {
  std::lock_guard g(mu_);
  return remove(channels_, channel, s);
}
bool pubsub::psubscribe(subscriber* s, const std::string& pattern) {
  std::lock_guard g(mu_);
  return add(patterns_[pattern], s);
}
bool pubsub::punsubscribe(subscriber* s, const std::string& pattern) {
  std::lock_guard g(mu_);
  return remove(patterns_, pattern, s);
}

void pubsub::offer(subscriber* s, const message& m) {
  if (!s->queue.try_send(message(m))) {  // keeps PS2
    s->dropped.fetch_add(1, std::memory_order_relaxed);
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::int64_t pubsub::publish(std::string_view channel, std::string_view payload) {
  std::int64_t n = 0;
  std::lock_guard g(mu_);
  if (auto it = channels_.find(std::string(channel)); it != channels_.end()) {
    auto m = std::make_shared<std::string>();
    write_array(*m, 3);
    write_bulk(*m, "message");
    write_bulk(*m, channel);
    write_bulk(*m, payload);
    const message shared = std::move(m);
    for (auto* s : it->second) offer(s, shared);
    n += static_cast<std::int64_t>(it->second.size());
  }
  for (auto& [pattern, subs] : patterns_) {
    if (!glob_match(pattern, channel)) continue;
    auto m = std::make_shared<std::string>();
    write_array(*m, 4);
    write_bulk(*m, "pmessage");
    write_bulk(*m, pattern);
    write_bulk(*m, channel);
    write_bulk(*m, payload);
    const message shared = std::move(m);
    for (auto* s : subs) offer(s, shared);
    n += static_cast<std::int64_t>(subs.size());
  }
  return n;
}

std::int64_t pubsub::channels() {
  std::lock_guard g(mu_);
  return static_cast<std::int64_t>(channels_.size());
}
std::int64_t pubsub::patterns() {
  std::lock_guard g(mu_);
  return static_cast<std::int64_t>(patterns_.size());
}

}  // namespace redis
