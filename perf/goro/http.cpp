// http (goro server): goro::http::server answering every request with 200 "hello, world"
// (Content-Type: text/plain; charset=utf-8, as Go's net/http sniffs it; goro adds
// Content-Length), serving a listener on 127.0.0.1 (an ephemeral port, printed as
// `port=<port>` for the runner) from a fiber: a fiber per connection, kept alive. The main
// thread blocks until its stdin ends (the runner closes it after the load), then shuts the
// server down gracefully, joins the serving fiber and checks it served requests. The runner
// pins it to core 0 with P = 1 and loads it with `wrk -t1 -c64 --latency` on core 1; the
// metrics are wrk's.
// --help: goro_http [--n N] [--procs P]   (N, wrk's connections, is not used)
#include <goro/goro.hpp>
#include <goro/net/http.hpp>
#include <goro/net/tcp.hpp>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 64);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS
  goro::http::server srv([](const goro::http::request&, goro::http::response& rs) {
    rs.set_header("Content-Type", "text/plain; charset=utf-8");
    rs.body = "hello, world";
  });
  auto ln = goro::net::listen("127.0.0.1:0");
  auto serving = goro::spawn([&] { srv.serve(ln); });
  perf::announce_port(ln.local_address().port());
  perf::wait_for_stdin_eof();
  srv.shutdown();
  serving.join();
  perf::check(srv.requests() > 0, "no request was served");
  goro::shutdown();
}
