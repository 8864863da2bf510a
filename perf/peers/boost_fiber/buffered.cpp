// buffered (Boost.Fiber peer): a boost::fibers::buffered_channel of capacity 1024 carries N
// items (0..N-1) from producers to consumers, twice: 1 producer and 1 consumer (metric
// one_to_one), then 4 producers and 4 consumers (metric four_to_four), each on a fresh
// channel. (Boost's ring keeps one slot free: 1023 items fit.) Producer k of P sends k,
// k + P, k + 2P, ... < N; the consumers receive until the channel is closed (after the last
// producer is joined) and return their count and sum; a total other than N items summing
// to N(N-1)/2 is a wrong result. Each metric: ns/item, wall time from the first fiber's
// start to the last consumer's join, divided by N.
// --help: boost_fiber_buffered [--n N=2000000] [--procs P]
#include <cstdint>
#include <vector>

#include <boost/fiber/all.hpp>

#include "bench.hpp"
#include "pool.hpp"

namespace {

double run(std::int64_t n, int producers, int consumers) {
  using boost::fibers::channel_op_status;
  boost::fibers::buffered_channel<std::int64_t> c(1024);
  std::vector<boost::fibers::fiber> ps, cs;
  std::vector<std::int64_t> counts(consumers), sums(consumers);
  auto t0 = perf::clock::now();
  for (int k = 0; k < producers; ++k) {
    ps.emplace_back(std::allocator_arg, perf::stack_16k(), [&c, k, n, producers] {
      for (std::int64_t v = k; v < n; v += producers) c.push(v);
    });
  }
  for (int k = 0; k < consumers; ++k) {
    cs.emplace_back(std::allocator_arg, perf::stack_16k(), [&, k] {
      std::int64_t count = 0, sum = 0, v;
      while (c.pop(v) == channel_op_status::success) {
        ++count;
        sum += v;
      }
      counts[k] = count;
      sums[k] = sum;
    });
  }
  for (auto& p : ps) p.join();
  c.close();
  for (auto& f : cs) f.join();
  auto t1 = perf::clock::now();
  std::int64_t count = 0, sum = 0;
  for (int k = 0; k < consumers; ++k) {
    count += counts[k];
    sum += sums[k];
  }
  perf::check(count == n && sum == n * (n - 1) / 2, "items received != 0..N-1");
  return perf::ns_between(t0, t1) / n;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 2'000'000);
  perf::work_stealing_pool pool(args.procs);
  perf::print_metric("one_to_one", run(args.n, 1, 1), "ns/item");
  perf::print_metric("four_to_four", run(args.n, 4, 4), "ns/item");
}
