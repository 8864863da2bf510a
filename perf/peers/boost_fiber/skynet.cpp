// skynet (Boost.Fiber peer): a 10-ary tree of N leaf fibers; each leaf sends its number, and
// each parent sends the sum of its 10 children's numbers, over an unbuffered channel (the
// classic skynet). Measures the wall time from spawning the root to receiving the root's sum
// (metric total, ms) and the peak RSS growth per leaf (metric rss_peak, B/task).
// Children start with launch::dispatch, as in Boost's own skynet benchmark: here it runs
// twice as fast as the default launch::post. (Boost's benchmark also uses buffered_channel
// {16}, which lets a leaf end before its parent receives: 5x faster, but not this workload.)
// --help: boost_fiber_skynet [--n N=1000000 (a power of ten)] [--procs P]
#include <cstdint>

#include <boost/fiber/all.hpp>

#include "bench.hpp"
#include "pool.hpp"

namespace {

using chan = boost::fibers::unbuffered_channel<std::int64_t>;

void skynet(chan& c, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    c.push(num);
    return;
  }
  chan rc;
  for (std::int64_t i = 0; i < 10; ++i) {
    boost::fibers::fiber(boost::fibers::launch::dispatch, std::allocator_arg, perf::stack_16k(),
                         skynet, std::ref(rc), num + i * (size / 10), size / 10)
        .detach();
  }
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += rc.value_pop();
  c.push(sum);
}

}  // namespace

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  perf::require_power_of_ten(args.n);
  perf::work_stealing_pool pool(args.procs);
  auto rss0 = perf::rss_bytes();
  auto t0 = perf::clock::now();
  chan c;
  boost::fibers::fiber(std::allocator_arg, perf::stack_16k(), skynet, std::ref(c), std::int64_t{0},
                       args.n)
      .detach();
  std::int64_t sum = c.value_pop();
  auto t1 = perf::clock::now();
  perf::check(sum == args.n * (args.n - 1) / 2, "skynet sum != N*(N-1)/2");
  perf::print_metric("total", perf::ns_between(t0, t1) / 1e6, "ms");
  perf::print_metric("rss_peak", double(perf::peak_rss_bytes() - rss0) / args.n, "B/task");
}
