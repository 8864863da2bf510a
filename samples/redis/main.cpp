// samples/redis: a Redis-compatible server on goro, spoken to by the real redis-cli and
// redis-benchmark. RESP2 over goro's TCP, one fiber per connection; a keyspace in shards,
// each behind a goro::mutex, with keys expiring lazily and by a sweep per shard on goro
// timers; pub/sub over goro channels, where a slow subscriber misses messages (counted in
// INFO) instead of holding back the publisher.
//
//   resp.hpp      the protocol: the request parser (incremental, inline commands too), the
//                 reply writer, a reply reader for clients
//   keyspace.hpp  the sharded keys, their expiry
//   pubsub.hpp    channels and patterns, the bounded queue of each subscriber
//   commands.hpp  PING ECHO GET SET DEL EXISTS INCR DECR INCRBY DECRBY MGET MSET EXPIRE
//                 PEXPIRE TTL PTTL KEYS DBSIZE FLUSHALL INFO CLIENT CONFIG QUIT PUBLISH
//                 (P)SUBSCRIBE (P)UNSUBSCRIBE; anything else is an unknown command, as Redis
//                 answers it
//   server.hpp    connections, pipelining, limits, the idle timeout, graceful shutdown
//
// The first line printed names the address ("... listening on 127.0.0.1:PORT"): with
// --port 0 the port is picked by the kernel. SIGTERM or SIGINT shuts the server down
// gracefully: the commands already read are answered, then it exits 0.
//
//   $ redis &        # samples/redis/redis --port 6379
//   $ redis-cli set greeting hello && redis-cli get greeting
//
// --help: redis [--port P=6379] [--procs N] [--shards S=16] [--timeout T=0] [--queue Q=1024]
#include <csignal>
#include <cstdio>
#include <thread>

#include <pthread.h>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "../flags.hpp"
#include "server.hpp"

namespace {

constexpr std::string_view usage =
    "usage: redis [--port P=6379] [--procs N] [--shards S=16] [--timeout T=0] [--queue Q=1024]\n"
    "  --port P     TCP port on 127.0.0.1 (0: any free port, printed on the first line)\n"
    "  --procs N    goro processors (default: one per hardware thread)\n"
    "  --shards S   keyspace shards, each with its own lock (1..4096)\n"
    "  --timeout T  close a connection idle for T seconds (0: never, as Redis' timeout)\n"
    "  --queue Q    messages a subscriber may lag behind before it misses some (1..1000000)\n";

}  // namespace

int main(int argc, char** argv) {
  int port = 6379, procs = 0, shards = 16, timeout = 0, queue = 1024;
  samples::flags("redis", usage)
      .integer("--port", port, 0, 65535)
      .integer("--procs", procs, 1, 1024)
      .integer("--shards", shards, 1, 4096)
      .integer("--timeout", timeout, 0, 1000000000)
      .integer("--queue", queue, 1, 1000000)
      .parse(argc, argv);

  // SIGTERM and SIGINT go to a thread of their own: blocked here, before any other thread
  // starts, so that every thread inherits the mask and only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  redis::server srv({.shards = shards,
                     .timeout_s = timeout,
                     .subscriber_queue = static_cast<std::size_t>(queue)});
  return goro::run({.procs = procs}, [&]() -> int {
    int bound = 0;
    try {
      bound = srv.listen(fmt::format("127.0.0.1:{}", port));
    } catch (const std::system_error& e) {
      fmt::print(stderr, "redis: {}\n", e.what());
      return 1;
    }
    fmt::print("redis: listening on 127.0.0.1:{} ({} processors, {} shards)\n", bound,
               goro::procs(), shards);
    std::fflush(stdout);

    int got = 0;
    std::thread waiter([&] {
      sigwait(&signals, &got);
      srv.shutdown();
    });
    srv.serve();
    waiter.join();
    fmt::print("redis: {}: shut down after {} connections, {} commands\n",
               got == SIGINT ? "SIGINT" : "SIGTERM",
               srv.db().connections.load(std::memory_order_relaxed),
               srv.db().commands.load(std::memory_order_relaxed));
    return 0;
  });
}
