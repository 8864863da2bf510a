// skynet (goro): a 10-ary tree of N leaf fibers (1,111,111 fibers in all for N = 1M); each
// leaf sends its number, and each parent sends the sum of its 10 children's numbers, over an
// unbuffered goro::chan per parent (the classic skynet, as the Go and Boost.Fiber peers do).
// Children start with goro::go (detached, like Go's `go`). Measures the wall time from
// spawning the root to receiving the root's sum (metric total, ms) and the peak RSS growth
// over the run per leaf (metric rss_peak, B/task).
// --help: goro_skynet [--n N=1000000 (a power of ten)] [--procs P]
#include <cstdint>

#include <goro/goro.hpp>

#include "bench.hpp"

namespace {

void skynet(goro::chan<long> c, long num, long size) {
  if (size == 1) {
    c.send(num);
    return;
  }
  goro::chan<long> rc(0);
  for (long i = 0; i < 10; ++i) goro::go(skynet, rc, num + i * (size / 10), size / 10);
  long sum = 0;
  for (int i = 0; i < 10; ++i) sum += *rc.recv();
  c.send(sum);
}

}  // namespace

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  perf::require_power_of_ten(args.n);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS; started before the clock, like Go's
  auto rss0 = perf::rss_bytes();
  auto t0 = perf::clock::now();
  goro::chan<long> c(0);
  goro::go(skynet, c, 0L, long{args.n});
  long sum = *c.recv();  // main is a thread: it blocks until the root sends
  auto t1 = perf::clock::now();
  perf::check(sum == args.n * (args.n - 1) / 2, "skynet sum != N*(N-1)/2");
  perf::print_metric("total", perf::ns_between(t0, t1) / 1e6, "ms");
  perf::print_metric("rss_peak", double(perf::peak_rss_bytes() - rss0) / args.n, "B/task");
  goro::shutdown();
}
