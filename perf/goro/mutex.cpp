// mutex (goro): 1000 fibers contend for one goro::mutex. Worker k of W = 1000 does its share
// of the N lock/unlock pairs (N/W, the first N mod W one more); each iteration first does a
// little work of its own outside the lock (one xorshift64 step on a local state, whose low
// byte it adds to a local sum), then locks, increments the shared counter and adds the same
// byte to a shared sum, and unlocks. The workers are spawned and parked on a gate (each
// counts itself on `parked` just before blocking) before the clock starts, so no spawn is
// timed; each counts itself done on `finished` (a wait_group, as Go's peer). A coordinator
// fiber spawns them, opens the gate and waits, as Go's main is a goroutine (from the main
// thread, at P=1, waking 1000 fibers and being woken cost ≈ 3 ms, against Go's 0.2 ms). A
// counter other than N, or a shared sum other than the workers' local sums, is a wrong
// result. Measures lock (ns/lock: wall time from opening the gate until `finished` reaches
// zero, divided by N).
// --help: goro_mutex [--n N=1000000] [--procs P]
#include <cstdint>
#include <mutex>
#include <vector>

#include <goro/goro.hpp>

#include "bench.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  goro::start({.procs = args.procs});  // 0: GORO_PROCS; started before the clock, like Go's
  constexpr int workers = 1000;
  goro::mutex mu;
  std::int64_t counter = 0;  // guarded by mu
  std::uint64_t sum = 0;     // guarded by mu
  goro::wait_group gate, parked, finished;
  gate.add(1);
  parked.add(workers);
  finished.add(workers);
  std::vector<std::uint64_t> locals(workers);
  auto worker = [&](int k, std::int64_t iters) {
    parked.done();
    gate.wait();
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
    finished.done();
  };
  auto coordinator = [&] {  // returns the elapsed ns
    std::vector<goro::join_handle<void>> tasks;
    for (int k = 0; k < workers; ++k) {
      std::int64_t iters = args.n / workers + (k < args.n % workers ? 1 : 0);
      tasks.push_back(goro::spawn([&worker, k, iters] { worker(k, iters); }));
    }
    parked.wait();
    auto t0 = perf::clock::now();
    gate.done();  // opens the gate
    finished.wait();
    auto t1 = perf::clock::now();
    for (auto& t : tasks) t.join();
    return perf::ns_between(t0, t1);
  };
  double ns = goro::spawn(coordinator).join();
  std::uint64_t expected = 0;
  for (auto l : locals) expected += l;
  perf::check(counter == args.n, "counter != N");
  perf::check(sum == expected, "shared sum != the workers' local sums");
  perf::print_metric("lock", ns / args.n, "ns/lock");
  goro::shutdown();
}
