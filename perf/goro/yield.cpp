// yield (goro): two fibers each call goro::this_fiber::yield() N times. Measures yield
// (ns/yield: wall time from the moment both fibers run (perf::pair_start) to the second
// join, divided by 2N).
// --help: goro_yield [--n N=1000000] [--procs P]
#include <cstdint>

#include <goro/goro.hpp>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS; started before the clock, like Go's
  perf::pair_start gate;
  auto yielder = [n = args.n, &gate] {
    gate.arrive([] { goro::this_fiber::yield(); });
    for (std::int64_t i = 0; i < n; ++i) goro::this_fiber::yield();
  };
  auto a = goro::spawn(yielder);
  auto b = goro::spawn(yielder);
  a.join();
  b.join();
  auto t1 = perf::clock::now();
  perf::print_metric("yield", perf::ns_between(gate.start, t1) / (2.0 * args.n), "ns/yield");
  goro::shutdown();
}
