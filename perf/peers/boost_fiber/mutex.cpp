// mutex (Boost.Fiber peer): 1000 fibers contend for one boost::fibers::mutex. Worker k of
// W = 1000 does its share of the N lock/unlock pairs (N/W, the first N mod W one more); each
// iteration first does a little work of its own outside the lock (one xorshift64 step on a
// local state, whose low byte it adds to a local sum), then locks, increments the shared
// counter and adds the same byte to a shared sum, and unlocks. The workers are spawned and
// parked on a gate (a fiber mutex and condition variable; each counts itself just before
// blocking, the last one wakes main) before the clock starts, so no spawn is timed. A
// counter other than N, or a shared sum other than the workers' local sums, is a wrong
// result. Measures lock (ns/lock: wall time from opening the gate until the last join
// returns, divided by N).
// --help: boost_fiber_mutex [--n N=1000000] [--procs P]
#include <cstdint>
#include <mutex>
#include <vector>

#include <boost/fiber/all.hpp>

#include "bench.hpp"
#include "pool.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  perf::work_stealing_pool pool(args.procs);
  constexpr int workers = 1000;
  boost::fibers::mutex mu;
  std::int64_t counter = 0;  // guarded by mu
  std::uint64_t sum = 0;     // guarded by mu
  boost::fibers::mutex gate_mu;
  boost::fibers::condition_variable gate_cv, parked_cv;
  bool open = false;  // guarded by gate_mu
  int parked = 0;     // guarded by gate_mu
  std::vector<std::uint64_t> locals(workers);
  std::vector<boost::fibers::fiber> tasks;
  for (int k = 0; k < workers; ++k) {
    std::int64_t iters = args.n / workers + (k < args.n % workers ? 1 : 0);
    tasks.emplace_back(std::allocator_arg, perf::stack_16k(), [&, k, iters] {
      {
        std::unique_lock lock(gate_mu);
        if (++parked == workers) parked_cv.notify_one();
        gate_cv.wait(lock, [&] { return open; });
      }
      std::uint64_t x = 0x9e3779b97f4a7c15ull + k, local = 0;
      for (std::int64_t i = 0; i < iters; ++i) {
        x ^= x << 13;  // outside the lock: one xorshift64 step
        x ^= x >> 7;
        x ^= x << 17;
        local += x & 0xff;
        std::lock_guard lock(mu);
        ++counter;
        sum += x & 0xff;
      }
      locals[k] = local;
    });
  }
  {
    std::unique_lock lock(gate_mu);
    parked_cv.wait(lock, [&] { return parked == workers; });
  }
  auto t0 = perf::clock::now();
  {
    std::lock_guard lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  for (auto& t : tasks) t.join();
  auto t1 = perf::clock::now();
  std::uint64_t expected = 0;
  for (auto l : locals) expected += l;
  perf::check(counter == args.n, "counter != N");
  perf::check(sum == expected, "shared sum != the workers' local sums");
  perf::print_metric("lock", perf::ns_between(t0, t1) / args.n, "ns/lock");
}
