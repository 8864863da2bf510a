// spawn-park (std::thread peer): spawn N threads that each block on one gate (a futex, via
// std::atomic<int>::wait), until all are parked (each counts itself on an atomic just before
// blocking; the last one wakes main through the same kind of futex); then open the gate
// (notify_all) and join all. Run at N = 10,000. Measures spawn (ns/task: from the first
// spawn until all N are parked), release_join (ns/task: from opening the gate until the last
// join returns) and rss (B/task: RSS with all N parked, minus RSS before the first spawn;
// each thread also reserves 8 MiB of virtual stack). --procs is accepted and ignored.
// --help: threads_spawn_park [--n N=10000] [--procs P]
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 10'000);
  const int n = static_cast<int>(args.n);
  std::vector<std::thread> tasks(n);  // allocated before the RSS baseline
  std::atomic<int> gate{0}, parked{0};
  auto rss0 = perf::rss_bytes();
  auto t0 = perf::clock::now();
  for (auto& t : tasks) {
    t = std::thread([&] {
      if (parked.fetch_add(1) + 1 == n) parked.notify_one();  // pairs with main's wait
      gate.wait(0);  // returns once gate != 0 (spurious wake-ups are re-checked inside)
    });
  }
  for (int p = parked.load(); p != n; p = parked.load()) parked.wait(p);
  auto t1 = perf::clock::now();
  auto rss1 = perf::rss_bytes();
  auto t2 = perf::clock::now();
  gate.store(1);
  gate.notify_all();
  for (auto& t : tasks) t.join();
  auto t3 = perf::clock::now();
  perf::print_metric("spawn", perf::ns_between(t0, t1) / args.n, "ns/task");
  perf::print_metric("release_join", perf::ns_between(t2, t3) / args.n, "ns/task");
  perf::print_metric("rss", double(rss1 - rss0) / args.n, "B/task");
}
