// samples/redis/server.hpp: the server: a fiber accepting connections, a fiber per
// connection running its commands, a fiber per subscribed connection delivering its
// messages, and a fiber per keyspace shard sweeping expired keys every 100 ms.
// A connection reads what the socket has, runs every complete command in it and writes all
// their replies in one write (pipelining). A protocol error is answered with Redis' text,
// then the connection is closed. With a timeout, a connection idle that long is closed
// (subscribers excepted, as in Redis).
// A client that does not read its replies (or its messages) for 30 s is dropped.
// shutdown() (any thread, e.g. a signal handler's): no more connections or commands are
// accepted; commands already read run and their replies are written (within those 30 s);
// then every connection closes and serve() returns.
#pragma once

#include <cstddef>
#include <memory>
#include <stop_token>
#include <string_view>

#include <goro/net/tcp.hpp>
#include <goro/wait_group.hpp>

#include "commands.hpp"
#include "resp.hpp"

namespace redis {

struct server_options {
  int shards = 16;
  int timeout_s = 0;  // idle connections closed after this; 0: never
  std::size_t subscriber_queue = 1024;
  limits proto;
};

class server {
 public:
  explicit server(const server_options& o);
  // Listens on "host:port" (port 0: any); returns the port. Throws std::system_error.
  int listen(std::string_view host_port);
  // Serves until shutdown(), then waits for every connection. On a fiber.
  void serve();
  void shutdown() noexcept;  // any fiber or thread
  database& db() { return db_; }

 private:
  struct connection;
  void serve_connection(const std::shared_ptr<connection>& c);

  server_options opts_;
  database db_;
  goro::net::listener ln_;
  std::stop_source stop_;
  goro::wait_group connections_;
};

}  // namespace redis
