// echo (goro server): a TCP echo server on 127.0.0.1 (an ephemeral port, printed as
// `port=<port>` for the runner), one fiber per connection, each reading up to 4096 bytes
// with stream::read and writing them back with write_all until the client closes. An
// acceptor fiber accepts; the main thread blocks until its stdin ends (the runner closes it
// after the load), then closes the listener, joins the acceptor and shuts the runtime down.
// The runner pins it to core 0 with P = 1 and drives it with perf/clients/echo_client.cpp
// on core 1 (64 connections × 64-byte round trips), which prints the metrics.
// --help: goro_echo [--n N] [--procs P]   (N, the client's connections, is not used)
#include <cstddef>
#include <system_error>

#include <goro/goro.hpp>
#include <goro/net/tcp.hpp>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 64);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS
  auto ln = goro::net::listen("127.0.0.1:0");
  auto acceptor = goro::spawn([&ln] {
    for (;;) {
      goro::net::stream s;
      try {
        s = ln.accept();
      } catch (const std::system_error&) {
        return;  // the listener was closed: stop
      }
      goro::go([s = std::move(s)]() mutable {
        char buf[4096];
        try {
          while (std::size_t n = s.read(buf, sizeof buf)) s.write_all(buf, n);
        } catch (const std::system_error&) {
          // a reset by the client: the connection ends
        }
      });
    }
  });
  perf::announce_port(ln.local_address().port());
  perf::wait_for_stdin_eof();
  ln.close();
  acceptor.join();
  goro::shutdown();
}
