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
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <fmt/core.h>

#include <goro/goro.hpp>

namespace {

constexpr std::string_view usage =
    "usage: waitgroup [--fibers N=10]\n"
    "  --fibers N  fibers to launch (1..1000000); each prints a line\n";

// --fibers N or --fibers=N. --help: usage on stdout, exit 0. A bad flag: usage on stderr, exit 2.
int parse_or_exit(int argc, char** argv) {
  auto fail = [](std::string_view why) {
    fmt::print(stderr, "waitgroup: {}\n{}", why, usage);
    std::exit(2);
  };
  int fibers = 10;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i], value;
    if (flag == "--help" || flag == "-h") {
      fmt::print("{}", usage);
      std::exit(0);
    }
    if (auto eq = flag.find('='); eq != flag.npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      fail(fmt::format("{}: missing value", flag));
    }
    if (flag != "--fibers") fail(fmt::format("unknown flag {}", flag));
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), fibers);
    if (ec != std::errc() || end != value.data() + value.size() || fibers < 1 || fibers > 1'000'000)
      fail("--fibers: want 1..1000000");
  }
  return fibers;
}

}  // namespace

int main(int argc, char** argv) {
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
}
