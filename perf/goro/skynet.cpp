// skynet (goro): a 10-ary tree of N leaf fibers (1,111,111 fibers in all for N = 1M). A leaf
// returns its number; each parent spawns its 10 children and sums their results. Measures
// the wall time from spawning the root to the root's sum (metric total, ms), and the peak
// RSS growth over the run per leaf (metric rss_peak, B/task).
// Until goro has channels, a parent collects its children's numbers with join() on their
// join handles; the classic version (children send on an unbuffered channel, as the Go and
// Boost.Fiber peers do) replaces this when channels land.
// --help: goro_skynet [--n N=1000000 (a power of ten)] [--procs P]
#include <array>
#include <cstdint>

#include <goro/goro.hpp>

#include "bench.hpp"

namespace {

std::int64_t skynet(std::int64_t num, std::int64_t size) {
  if (size == 1) return num;
  std::array<goro::join_handle<std::int64_t>, 10> children;
  for (std::int64_t i = 0; i < 10; ++i)
    children[i] = goro::spawn(skynet, num + i * (size / 10), size / 10);
  std::int64_t sum = 0;
  for (auto& c : children) sum += c.join();
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  perf::require_power_of_ten(args.n);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS; started before the clock, like Go's
  auto rss0 = perf::rss_bytes();
  auto t0 = perf::clock::now();
  std::int64_t sum = goro::spawn(skynet, std::int64_t{0}, args.n).join();
  auto t1 = perf::clock::now();
  perf::check(sum == args.n * (args.n - 1) / 2, "skynet sum != N*(N-1)/2");
  perf::print_metric("total", perf::ns_between(t0, t1) / 1e6, "ms");
  perf::print_metric("rss_peak", double(perf::peak_rss_bytes() - rss0) / args.n, "B/task");
  goro::shutdown();
}
