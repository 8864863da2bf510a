// select (goro): one fiber selects over 4 unbuffered goro::chans, each fed by its own
// producer fiber. Producer k sends k, k + 4, k + 8, ... < N on channel k, then closes it;
// the selector runs goro::select over the 4 receive cases until all 4 are closed (a closed
// channel's case is then made nil, Go's idiom, so it is never ready again) and checks that it
// received N items summing to N(N-1)/2. Measures select (ns/op: wall time from the first
// spawn to the last join, divided by the N items received).
// --help: goro_select [--n N=1000000] [--procs P]
#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <goro/goro.hpp>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS; started before the clock, like Go's
  const std::int64_t n = args.n;
  std::array<goro::chan<std::int64_t>, 4> in;
  for (auto& c : in) c = goro::chan<std::int64_t>(0);
  std::vector<goro::join_handle<void>> producers;
  auto t0 = perf::clock::now();
  for (int k = 0; k < 4; ++k) {
    producers.push_back(goro::spawn([c = in[k], k, n] {
      for (std::int64_t v = k; v < n; v += 4) c.send(v);
      c.close();
    }));
  }
  auto selector = goro::spawn([in, n]() mutable {
    std::int64_t count = 0, sum = 0;
    int open = 4;
    auto on = [&](int k) {
      return [&, k](std::optional<std::int64_t> v) {
        if (v) {
          ++count;
          sum += *v;
        } else {
          in[k] = goro::chan<std::int64_t>();  // nil: never ready again
          --open;
        }
      };
    };
    while (open > 0) {
      goro::select(goro::recv(in[0], on(0)), goro::recv(in[1], on(1)), goro::recv(in[2], on(2)),
                   goro::recv(in[3], on(3)));
    }
    return std::pair{count, sum};
  });
  auto [count, sum] = selector.join();
  for (auto& p : producers) p.join();
  auto t1 = perf::clock::now();
  perf::check(count == n && sum == n * (n - 1) / 2, "items received != 0..N-1");
  perf::print_metric("select", perf::ns_between(t0, t1) / n, "ns/op");
  goro::shutdown();
}
