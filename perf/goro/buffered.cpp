// buffered (goro): a goro::chan of capacity 1024 carries N items (0..N-1) from producers to
// consumers, twice: 1 producer and 1 consumer (metric one_to_one), then 4 producers and 4
// consumers (metric four_to_four), each on a fresh channel. Producer k of P sends k, k + P,
// k + 2P, ... < N; the consumers receive until the channel is closed (after the last
// producer is joined) and return their count and sum; a total other than N items summing
// to N(N-1)/2 is a wrong result. Each metric: ns/item, wall time from the first spawn to
// the last consumer's join, divided by N.
// --help: goro_buffered [--n N=2000000] [--procs P]
#include <cstdint>
#include <utility>
#include <vector>

#include <goro/goro.hpp>

#include "bench.hpp"

namespace {

constexpr std::size_t capacity = 1024;

double run(std::int64_t n, int producers, int consumers) {
  goro::chan<std::int64_t> c(capacity);
  std::vector<goro::join_handle<void>> ps;
  std::vector<goro::join_handle<std::pair<std::int64_t, std::int64_t>>> cs;
  auto t0 = perf::clock::now();
  for (int k = 0; k < producers; ++k) {
    ps.push_back(goro::spawn([c, k, n, producers] {
      for (std::int64_t v = k; v < n; v += producers) c.send(v);
    }));
  }
  for (int k = 0; k < consumers; ++k) {
    cs.push_back(goro::spawn([c] {
      std::int64_t count = 0, sum = 0;
      for (std::int64_t v : c) {
        ++count;
        sum += v;
      }
      return std::pair{count, sum};
    }));
  }
  for (auto& p : ps) p.join();
  c.close();
  std::int64_t count = 0, sum = 0;
  for (auto& h : cs) {
    auto [k, s] = h.join();
    count += k;
    sum += s;
  }
  auto t1 = perf::clock::now();
  perf::check(count == n && sum == n * (n - 1) / 2, "items received != 0..N-1");
  return perf::ns_between(t0, t1) / n;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 2'000'000);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS; started before the clock, like Go's
  perf::print_metric("one_to_one", run(args.n, 1, 1), "ns/item");
  perf::print_metric("four_to_four", run(args.n, 4, 4), "ns/item");
  goro::shutdown();
}
