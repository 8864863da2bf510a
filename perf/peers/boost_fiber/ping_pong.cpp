// ping-pong (Boost.Fiber peer): two fibers and two boost::fibers::unbuffered_channels. The
// pinger sends i on `ping` and receives the ponger's reply (i + 1) on `pong`, for
// i = 0..N-1; the ponger replies to each value until `ping` is closed. A reply other than
// i + 1 is a wrong result. Measures round_trip (ns/round_trip: wall time from starting both
// fibers to joining both, / N).
// --help: boost_fiber_ping_pong [--n N=500000] [--procs P]
#include <cstdint>

#include <boost/fiber/all.hpp>

#include "bench.hpp"
#include "pool.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 500'000);
  perf::work_stealing_pool pool(args.procs);
  using chan = boost::fibers::unbuffered_channel<std::int64_t>;
  using boost::fibers::channel_op_status;
  chan ping, pong;
  std::int64_t wrong = 0;
  auto t0 = perf::clock::now();
  boost::fibers::fiber ponger(std::allocator_arg, perf::stack_16k(), [&] {
    std::int64_t v;
    while (ping.pop(v) == channel_op_status::success) pong.push(v + 1);
  });
  boost::fibers::fiber pinger(std::allocator_arg, perf::stack_16k(), [&] {
    for (std::int64_t i = 0; i < args.n; ++i) {
      ping.push(i);
      if (pong.value_pop() != i + 1) ++wrong;
    }
    ping.close();
  });
  pinger.join();
  ponger.join();
  auto t1 = perf::clock::now();
  perf::check(wrong == 0, "a reply was not the value sent + 1");
  perf::print_metric("round_trip", perf::ns_between(t0, t1) / args.n, "ns/round_trip");
}
