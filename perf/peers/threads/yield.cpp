// yield (std::thread peer): two threads each call std::this_thread::yield() (sched_yield)
// N times. Measures yield (ns/yield: wall time from the moment both threads run
// (perf::pair_start) to the second join, divided by 2N). --procs is accepted and ignored:
// the runner pins the process to P cores.
// --help: threads_yield [--n N=1000000] [--procs P]
#include <cstdint>
#include <thread>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  perf::pair_start gate;
  auto yielder = [n = args.n, &gate] {
    gate.arrive([] { std::this_thread::yield(); });
    for (std::int64_t i = 0; i < n; ++i) std::this_thread::yield();
  };
  std::thread a(yielder), b(yielder);
  a.join();
  b.join();
  auto t1 = perf::clock::now();
  perf::print_metric("yield", perf::ns_between(gate.start, t1) / (2.0 * args.n), "ns/yield");
}
