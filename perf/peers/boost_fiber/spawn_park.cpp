// spawn-park (Boost.Fiber peer): spawn N fibers that each block on one gate (a fiber mutex
// and condition variable), until all are parked (each counts itself just before blocking;
// the last one wakes main); then open the gate and join all. Measures spawn (ns/task: from
// the first spawn until all N are parked), release_join (ns/task: from opening the gate until
// the last join returns) and rss (B/task: RSS with all N parked, minus RSS before the first
// spawn).
// --help: boost_fiber_spawn_park [--n N=100000] [--procs P]
#include <cstdint>
#include <mutex>
#include <vector>

#include <boost/fiber/all.hpp>

#include "bench.hpp"
#include "pool.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 100'000);
  perf::work_stealing_pool pool(args.procs);
  std::vector<boost::fibers::fiber> tasks(args.n);  // allocated before the RSS baseline
  boost::fibers::mutex mu;
  boost::fibers::condition_variable gate_cv, parked_cv;
  bool open = false;        // guarded by mu
  std::int64_t parked = 0;  // guarded by mu
  auto rss0 = perf::rss_bytes();
  auto t0 = perf::clock::now();
  for (auto& t : tasks) {
    t = boost::fibers::fiber(std::allocator_arg, perf::stack_16k(), [&] {
      std::unique_lock lock(mu);
      if (++parked == args.n) parked_cv.notify_one();
      gate_cv.wait(lock, [&] { return open; });
    });
  }
  {
    std::unique_lock lock(mu);
    parked_cv.wait(lock, [&] { return parked == args.n; });
  }
  auto t1 = perf::clock::now();
  auto rss1 = perf::rss_bytes();
  auto t2 = perf::clock::now();
  {
    std::lock_guard lock(mu);
    open = true;
  }
  gate_cv.notify_all();
  for (auto& t : tasks) t.join();
  auto t3 = perf::clock::now();
  perf::print_metric("spawn", perf::ns_between(t0, t1) / args.n, "ns/task");
  perf::print_metric("release_join", perf::ns_between(t2, t3) / args.n, "ns/task");
  perf::print_metric("rss", double(rss1 - rss0) / args.n, "B/task");
}
