// samples/waitgroup.cpp: launching many anonymous fibers and waiting for all of them
// (Go's sync.WaitGroup). The Go original:
//
//   var wg sync.WaitGroup
//   for i := 0; i < 10; i++ {
//       wg.Add(1)
//       go func(i int) {
//           defer wg.Done()
//           fmt.Println("fiber", i, "done")
//       }(i)
//   }
//   wg.Wait()
//   fmt.Println("all 10 fibers done")
//
// The fibers run on several threads at once, so their lines come in no fixed order (a few
// short fibers often run in order; try --fibers 1000). The last line always comes last:
// wait() returns only after every fiber has called done().
//
// --help: waitgroup [--fibers N=10]
#include <cstdint>
#include <cstdio>
#include <string_view>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: waitgroup [--fibers N=10]\n"
    "  --fibers N  fibers to launch (1..1000000); each prints a line\n";

int parse_or_exit(int argc, char** argv) {
  int fibers = 10;
  samples::flags("waitgroup", usage).integer("--fibers", fibers, 1, 1'000'000).parse(argc, argv);
  return fibers;
}

}  // namespace

int main(int argc, char** argv) try {
  int fibers = parse_or_exit(argc, argv);

  goro::wait_group wg;
  for (int i = 0; i < fibers; ++i) {
    wg.add(1);  // before go(), as in Go: the count must be up before the fiber can lower it
    // An anonymous fiber. `i` is copied into it (Go passes it as an argument for the same
    // reason); `wg` is shared by reference and outlives the fiber, since main waits on it.
    goro::go([&wg, i] {
      fmt::print("fiber {} done\n", i);  // one write per line: lines do not interleave
      wg.done();                         // Go's `defer wg.Done()`: the fiber's last act
    });
  }
  wg.wait();  // main is a plain thread here: it blocks until the count is back to zero

  fmt::print("all {} fibers done\n", fibers);
} catch (const goro::option_error& e) {
  return samples::option_failed("waitgroup", e);
}
