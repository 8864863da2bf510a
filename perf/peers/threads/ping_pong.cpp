// ping-pong (std::thread peer): two threads and two unbuffered channels (a std::mutex and
// std::condition_variables, chan.hpp). The pinger sends i on `ping` and receives the
// ponger's reply (i + 1) on `pong`, for i = 0..N-1; the ponger replies to each value until
// `ping` is closed. A reply other than i + 1 is a wrong result. Measures round_trip (ns/round
// trip: wall time from starting both threads to joining both, / N). --procs is accepted and
// ignored: the runner pins the process to P cores.
// --help: threads_ping_pong [--n N=500000] [--procs P]
#include <cstdint>
#include <thread>

#include "bench.hpp"
#include "chan.hpp"

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 500'000);
  perf::thread_chan<std::int64_t> ping(0), pong(0);
  std::int64_t wrong = 0;
  auto t0 = perf::clock::now();
  std::thread ponger([&] {
    while (auto v = ping.recv()) pong.send(*v + 1);
  });
  std::thread pinger([&] {
    for (std::int64_t i = 0; i < args.n; ++i) {
      ping.send(i);
      if (*pong.recv() != i + 1) ++wrong;
    }
    ping.close();
  });
  pinger.join();
  ponger.join();
  auto t1 = perf::clock::now();
  perf::check(wrong == 0, "a reply was not the value sent + 1");
  perf::print_metric("round_trip", perf::ns_between(t0, t1) / args.n, "ns/round_trip");
}
