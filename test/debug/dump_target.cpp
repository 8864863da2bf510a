// dump_target: N fibers parked on one channel, for timing a SIGQUIT dump by hand (not a
// test: a dump's speed is no test verdict). Prints "parked N" once every fiber is parked,
// then waits; SIGQUIT writes the dump to stderr and exits with status 2.
//
//   dump_target 200000 2>dump.txt & ... kill -QUIT $!   (see measure_dump.sh)
#include <charconv>
#include <cstdio>
#include <cstring>
#include <thread>

#include <unistd.h>

#include <goro/goro.hpp>
#include <goro/stats.hpp>

namespace {

[[gnu::noinline]] void wait_for_work(goro::chan<int> work) {
  work.recv();
  std::fflush(stdout);  // after the receive: not a tail call
}

}  // namespace

int main(int argc, char** argv) {
  long n = 200'000;
  if (argc > 1) {
    auto [_, ec] = std::from_chars(argv[1], argv[1] + std::strlen(argv[1]), n);
    if (ec != std::errc{} || n < 1) {
      std::fprintf(stderr, "usage: dump_target [fibers N=200000]\n");
      return 2;
    }
  }
  goro::start({.procs = 2, .sigquit = goro::sigquit_action::dump_and_exit});
  goro::chan<int> work(0);
  for (long i = 0; i < n; ++i) goro::go({.name = "worker"}, [work] { wait_for_work(work); });
  while (goro::stats().fibers_parked < n) std::this_thread::yield();
  std::printf("parked %ld\n", n);
  std::fflush(stdout);
  for (;;) ::pause();  // the runtime's SIGQUIT thread ends the process
}
