// ping-pong (goro): two fibers and two unbuffered goro::chans. The pinger sends i on `ping`
// and receives the ponger's reply (i + 1) on `pong`, for i = 0..N-1; the ponger replies to
// each value until `ping` is closed. A reply other than i + 1 is a wrong result. Measures
// round_trip (ns/round_trip: wall time from spawning both fibers to joining both, / N).
// --help: goro_ping_pong [--n N=500000] [--procs P]
#include <cstdint>

#include <goro/goro.hpp>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 500'000);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS; started before the clock, like Go's
  goro::chan<std::int64_t> ping(0), pong(0);
  auto t0 = perf::clock::now();
  auto ponger = goro::spawn([&] {
    for (std::int64_t v : ping) pong.send(v + 1);
  });
  auto pinger = goro::spawn([&] {
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < args.n; ++i) {
      ping.send(i);
      if (*pong.recv() != i + 1) ++wrong;
    }
    ping.close();
    return wrong;
  });
  std::int64_t wrong = pinger.join();
  ponger.join();
  auto t1 = perf::clock::now();
  perf::check(wrong == 0, "a reply was not the value sent + 1");
  perf::print_metric("round_trip", perf::ns_between(t0, t1) / args.n, "ns/round_trip");
  goro::shutdown();
}
