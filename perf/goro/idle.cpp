// idle (goro): N fibers (100k) park on one gate (a wait_group; each counts itself on
// `parked` just before blocking), nothing else is runnable; a coordinator fiber (as Go's main
// is a goroutine) waits until all are parked, lets the runtime settle for 100 ms, then sleeps
// through the idle window (--duration-ms, 5000) with this_fiber::sleep_for: one timer pending,
// as Go's main in time.Sleep. Measures, over the window, cpu (%: the process's user + system
// CPU time, getrusage, ÷ the window's wall time: percent of one core) and wakeups (/s: context
// switches of all the process's threads, voluntary and not, from /proc/self/task/*/status,
// ÷ the window; the coordinator's own sleep and wake-up count for one or two). Then opens
// the gate and waits for all N to finish (a wrong count is a wrong result).
// --help: goro_idle [--n N=100000] [--procs P] [--duration-ms D=5000]
#include <atomic>
#include <chrono>
#include <cstdint>

#include <goro/goro.hpp>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 100'000, 5'000);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS
  goro::wait_group gate, parked, finished;
  gate.add(1);
  parked.add(args.n);
  finished.add(args.n);
  std::atomic<std::int64_t> ran{0};
  struct window {
    double cpu_s, wall_s;
    std::int64_t switches;
  };
  auto w = goro::spawn([&] {
             for (std::int64_t k = 0; k < args.n; ++k) {
               goro::go([&] {
                 parked.done();
                 gate.wait();
                 ran.fetch_add(1, std::memory_order_relaxed);
                 finished.done();
               });
             }
             parked.wait();
             goro::this_fiber::sleep_for(std::chrono::milliseconds(100));  // settle
             auto cs0 = perf::context_switches();
             auto cpu0 = perf::cpu_seconds();
             auto t0 = perf::clock::now();
             goro::this_fiber::sleep_for(std::chrono::milliseconds(args.duration_ms));
             auto t1 = perf::clock::now();
             auto cpu1 = perf::cpu_seconds();
             auto cs1 = perf::context_switches();
             gate.done();  // opens the gate
             finished.wait();
             return window{cpu1 - cpu0, perf::ns_between(t0, t1) / 1e9, cs1 - cs0};
           }).join();
  perf::check(ran.load() == args.n, "not every parked fiber ran once released");
  perf::print_metric("cpu", 100.0 * w.cpu_s / w.wall_s, "%");
  perf::print_metric("wakeups", double(w.switches) / w.wall_s, "wakeups/s");
  goro::shutdown();
}
