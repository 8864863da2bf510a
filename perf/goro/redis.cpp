// redis (goro server): samples/redis's server (its library, goro_redis: RESP2, a fiber per
// connection, pipelined replies in one write, a keyspace of 16 shards each behind a
// goro::mutex) on 127.0.0.1 (an ephemeral port, printed as `port=<port>` for the runner).
// The main thread blocks until its stdin ends (the runner closes it after the load), then
// shuts the server down (the commands already read are answered) and the runtime with it.
// The runner pins it to core 0 with P = 1 and drives it with redis-benchmark on core 1
// (`-t set,get,incr -c 50`, without pipelining and with -P 16), which prints the figures.
// --help: goro_redis [--n N] [--procs P]   (N, the client's connections, is not used)
#include <cstdio>
#include <system_error>
#include <thread>

#include <goro/goro.hpp>

#include "bench.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 50);
  redis::server srv({});  // the sample's defaults: 16 shards, no idle timeout
  return goro::run({.procs = args.procs}, [&]() -> int {  // procs 0: GORO_PROCS
    try {
      perf::announce_port(srv.listen("127.0.0.1:0"));
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "goro_redis: %s\n", e.what());
      return 1;
    }
    std::thread stopper([&] {
      perf::wait_for_stdin_eof();
      srv.shutdown();
    });
    srv.serve();
    stopper.join();
    return 0;
  });
}
