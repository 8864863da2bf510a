// yield (Boost.Fiber peer): two fibers each call boost::this_fiber::yield() N times.
// Measures yield (ns/yield: wall time from the moment both fibers run (perf::pair_start) to
// the second join, divided by 2N).
// --help: boost_fiber_yield [--n N=1000000] [--procs P]
#include <cstdint>

#include <boost/fiber/all.hpp>

#include "bench.hpp"
#include "pool.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  perf::work_stealing_pool pool(args.procs);
  perf::pair_start gate;
  auto yielder = [n = args.n, &gate] {
    gate.arrive([] { boost::this_fiber::yield(); });
    for (std::int64_t i = 0; i < n; ++i) boost::this_fiber::yield();
  };
  boost::fibers::fiber a(std::allocator_arg, perf::stack_16k(), yielder);
  boost::fibers::fiber b(std::allocator_arg, perf::stack_16k(), yielder);
  a.join();
  b.join();
  auto t1 = perf::clock::now();
  perf::print_metric("yield", perf::ns_between(gate.start, t1) / (2.0 * args.n), "ns/yield");
}
