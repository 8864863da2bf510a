// spawn-park (goro): spawn N fibers that each block on one gate, until all are parked
// (each counts itself on `parked` just before blocking); then open the gate and join all.
// Measures spawn (ns/task: from the first spawn until all N are parked), release_join
// (ns/task: from opening the gate until the last join returns) and rss (B/task: RSS with all
// N parked, minus RSS before the first spawn).
// --help: goro_spawn_park [--n N=100000] [--procs P]
#include <cstdint>
#include <vector>

#include <goro/goro.hpp>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 100'000);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS; started before the clock, like Go's
  std::vector<goro::join_handle<void>> tasks(args.n);  // allocated before the RSS baseline
  // The spawning and joining run on a fiber, as Go's run on the main goroutine: the
  // runtime's own processor does the work (from a plain thread, every spawn would go
  // through the global queue and the thread would compete with the machine for the core).
  struct result {
    double spawn_ns, release_ns, rss_bytes;
  };
  result r = goro::spawn([&] {
               goro::wait_group gate, parked;
               gate.add(1);
               parked.add(args.n);
               auto rss0 = perf::rss_bytes();
               auto t0 = perf::clock::now();
               for (auto& t : tasks) {
                 t = goro::spawn([&] {
                   parked.done();
                   gate.wait();
                 });
               }
               parked.wait();
               auto t1 = perf::clock::now();
               auto rss1 = perf::rss_bytes();
               auto t2 = perf::clock::now();
               gate.done();  // opens the gate
               for (auto& t : tasks) t.join();
               auto t3 = perf::clock::now();
               return result{perf::ns_between(t0, t1) / args.n, perf::ns_between(t2, t3) / args.n,
                             double(rss1 - rss0) / args.n};
             }).join();
  perf::print_metric("spawn", r.spawn_ns, "ns/task");
  perf::print_metric("release_join", r.release_ns, "ns/task");
  perf::print_metric("rss", r.rss_bytes, "B/task");
  goro::shutdown();
}
