// timers (goro): N fibers (1M) each sleep a pseudo-random 0-100 ms (task k: splitmix64(k)
// mod 100,001 us, sleeps.hpp; Go's peer sleeps the same durations). A coordinator fiber (as
// Go's main is a goroutine) spawns them all as fast as it can and waits for them on a
// wait_group. Each task takes deadline = now + d, calls this_fiber::sleep_for(d), and on
// waking records its lateness = now - deadline (never negative: a task woken early is a wrong
// result). Measures lateness_p50 and lateness_p99 (ms: nearest-rank percentiles over the N
// tasks) and cpu (CPU-s: the process's user + system CPU time at the end, getrusage, from
// the start of the process: runtime start, N spawns, the timers, the wake-ups).
// --help: goro_timers [--n N=1000000] [--procs P]
#include <chrono>
#include <cstdint>
#include <vector>

#include <goro/goro.hpp>

#include "bench.hpp"
#include "sleeps.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  goro::start({.procs = args.procs});      // 0: GORO_PROCS; started before the clock, like Go's
  std::vector<std::int64_t> late(args.n);  // ns, per task
  goro::wait_group done;
  done.add(args.n);
  goro::spawn([&] {
    for (std::int64_t k = 0; k < args.n; ++k) {
      goro::go([&late, &done, k] {
        auto d = std::chrono::microseconds(perf::sleep_us(k));
        auto deadline = perf::clock::now() + d;
        goro::this_fiber::sleep_for(d);
        late[k] =
            std::chrono::duration_cast<std::chrono::nanoseconds>(perf::clock::now() - deadline)
                .count();
        done.done();
      });
    }
    done.wait();
  }).join();
  double cpu = perf::cpu_seconds();
  std::int64_t earliest = *std::min_element(late.begin(), late.end());
  perf::check(earliest >= 0, "a task woke before its deadline");
  perf::print_metric("lateness_p50", double(perf::percentile(late, 50)) / 1e6, "ms");
  perf::print_metric("lateness_p99", double(perf::percentile(late, 99)) / 1e6, "ms");
  perf::print_metric("cpu", cpu, "CPU-s");
  goro::shutdown();
}
