// mutex (std::thread peer): 100 threads (not 1000: PERF.md's reference figure is for 100)
// contend for one std::mutex. Worker k of W = 100 does its share of the N lock/unlock pairs
// (N/W, the first N mod W one more); each iteration first does a little work of its own
// outside the lock (one xorshift64 step on a local state, whose low byte it adds to a local
// sum), then locks, increments the shared counter and adds the same byte to a shared sum,
// and unlocks. The threads are started and parked on a gate (a futex, via
// std::atomic<int>::wait; each counts itself on an atomic just before blocking, the last one
// wakes main) before the clock starts, so no thread start is timed. A counter other than N,
// or a shared sum other than the workers' local sums, is a wrong result. Measures lock
// (ns/lock: wall time from opening the gate until the last join returns, divided by N).
// --procs is accepted and ignored: the runner pins the process to P cores.
// --help: threads_mutex [--n N=1000000] [--procs P]
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  constexpr int workers = 100;
  std::mutex mu;
  std::int64_t counter = 0;  // guarded by mu
  std::uint64_t sum = 0;     // guarded by mu
  std::atomic<int> gate{0}, parked{0};
  std::vector<std::uint64_t> locals(workers);
  std::vector<std::thread> tasks;
  for (int k = 0; k < workers; ++k) {
    std::int64_t iters = args.n / workers + (k < args.n % workers ? 1 : 0);
    tasks.emplace_back([&, k, iters] {
      if (parked.fetch_add(1) + 1 == workers) parked.notify_one();  // pairs with main's wait
      gate.wait(0);  // returns once gate != 0 (spurious wake-ups are re-checked inside)
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
  for (int p = parked.load(); p != workers; p = parked.load()) parked.wait(p);
  auto t0 = perf::clock::now();
  gate.store(1);
  gate.notify_all();
  for (auto& t : tasks) t.join();
  auto t1 = perf::clock::now();
  std::uint64_t expected = 0;
  for (auto l : locals) expected += l;
  perf::check(counter == args.n, "counter != N");
  perf::check(sum == expected, "shared sum != the workers' local sums");
  perf::print_metric("lock", perf::ns_between(t0, t1) / args.n, "ns/lock");
}
