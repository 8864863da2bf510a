// samples/redis/commands.hpp: the commands, run on a connection's fiber. execute() runs one
// command and appends its reply; the texts of every error are Redis 7's.
// A connection's session is used by its own fiber only; the database by all of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "keyspace.hpp"
#include "pubsub.hpp"

namespace redis {

// What all connections share.
struct database {
  explicit database(int shards) : keys(shards) {}
  keyspace keys;
  pubsub channels;
  std::size_t subscriber_queue = 1024;  // messages a subscriber may lag behind (then dropped)
  int port = 0;
  std::int64_t started_ms = now_ms();
  // Statistics for INFO. Relaxed: counters, no other memory depends on them.
  std::atomic<std::int64_t> clients{0};
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> commands{0};
};

// One connection's state.
struct session {
  std::string name;                 // CLIENT SETNAME
  std::set<std::string> channels;   // SUBSCRIBE
  std::set<std::string> patterns;   // PSUBSCRIBE
  std::unique_ptr<subscriber> sub;  // made on the first (P)SUBSCRIBE
  // Called once, when sub is made: the connection starts the fiber delivering its messages.
  std::function<void()> on_subscribe;
  bool quit = false;  // QUIT: close once the reply is written

  bool subscribed() const { return !channels.empty() || !patterns.empty(); }
};

// Runs argv (non-empty) and appends the reply to out.
void execute(database& db, session& s, std::vector<std::string>& argv, std::string& out);

// Leaves every channel and pattern (a closing connection).
void unsubscribe_all(database& db, session& s);

}  // namespace redis
