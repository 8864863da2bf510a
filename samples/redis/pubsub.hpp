// samples/redis/pubsub.hpp: PUBLISH and (P)SUBSCRIBE. Each subscribed connection has a
// subscriber: a bounded goro channel of messages, already written as RESP, that a fiber of
// the connection drains onto its socket. publish() offers a message to every subscriber of
// the channel (and of each matching pattern) with try_send: when a subscriber's queue is
// full the message is dropped for it and counted (Redis disconnects such a client at its
// client-output-buffer-limit; here it misses messages), so a slow subscriber never blocks a
// publisher.
// Safe from any fiber or thread.
//
//   redis::pubsub ps;
//   redis::subscriber sub(64);
//   ps.subscribe(&sub, "news");
//   ps.publish("news", "hello");  // 1; sub.queue holds "*3\r\n$7\r\nmessage\r\n..."
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <goro/chan.hpp>
#include <goro/mutex.hpp>

namespace redis {

using message = std::shared_ptr<const std::string>;  // one RESP push, shared by its receivers

struct subscriber {
  explicit subscriber(std::size_t capacity) : queue(capacity) {}
  goro::chan<message> queue;
  // Messages dropped because queue was full. Relaxed: a statistic, read by INFO alone.
  std::atomic<std::uint64_t> dropped{0};
};

class pubsub {
 public:
  // Each returns false if nothing changed (already subscribed; not subscribed).
  bool subscribe(subscriber* s, const std::string& channel);
  bool unsubscribe(subscriber* s, const std::string& channel);
  bool psubscribe(subscriber* s, const std::string& pattern);
  bool punsubscribe(subscriber* s, const std::string& pattern);
  // The number of subscribers the message was addressed to (as Redis counts, a client
  // subscribed through two patterns twice), dropped ones included.
  std::int64_t publish(std::string_view channel, std::string_view payload);

  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::int64_t channels();
  std::int64_t patterns();

 private:
  void offer(subscriber* s, const message& m);

  goro::mutex mu_;
  std::unordered_map<std::string, std::vector<subscriber*>> channels_;  // guarded by mu_
  std::map<std::string, std::vector<subscriber*>> patterns_;            // guarded by mu_
  // Relaxed: a statistic (INFO), no other memory depends on it.
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace redis
