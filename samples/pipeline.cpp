// samples/pipeline.cpp: stages connected by channels, each closing its output when done
// (Go's "pipelines and cancellation"). The Go original:
//
//   func gen(nums ...int) <-chan int {
//       out := make(chan int)
//       go func() { for _, n := range nums { out <- n }; close(out) }()
//       return out
//   }
//   func sq(in <-chan int) <-chan int {
//       out := make(chan int)
//       go func() { for n := range in { out <- n * n }; close(out) }()
//       return out
//   }
//   for n := range sq(sq(gen(2, 3))) { fmt.Println(n) }   // 16, 81
//
// Each stage is a fiber that reads its input until it is closed, and closes its output
// when it is done: the close travels down the pipeline and ends the final range-for. The
// second run stops reading early and cancels instead; every stage sees it and ends. Its
// stages run in a goro::scope, whose wait() returns once every one of them has ended, so
// the live-fiber count can show at once that none is left behind.
//
// --help: pipeline [--count N=5]
#include <string_view>

#include <fmt/core.h>

#include <goro/goro.hpp>
#include <goro/patterns/generator.hpp>
#include <goro/patterns/pipeline.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: pipeline [--count N=5]\n"
    "  --count N  values the second run reads before it cancels (1..1000)\n";

// gen: the numbers given, then a close.
goro::recv_chan<int> gen(std::initializer_list<int> nums) {
  goro::chan<int> out(0);
  goro::go([out, v = std::vector<int>(nums)] {
    for (int n : v) out.send(n);
    out.close();  // "no more values": ends the next stage's loop
  });
  return out;
}

// sq: squares what it reads, until its input closes; then closes its output.
goro::recv_chan<int> sq(goro::recv_chan<int> in) {
  goro::chan<int> out(0);
  goro::go([in, out] {
    for (int n : in) out.send(n * n);
    out.close();
  });
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  int count = 5;
  samples::flags("pipeline", usage).integer("--count", count, 1, 1000).parse(argc, argv);

  return goro::run([&] {
    const auto before = goro::live_fibers();

    fmt::print("sq(sq(gen(2, 3))):");
    for (int n : sq(sq(gen({2, 3})))) fmt::print(" {}", n);
    fmt::print("\n");

    // An endless source; the reader stops after `count` values and cancels. The stages are
    // the scope's fibers: they end when its context is cancelled, and wait() joins them.
    goro::scope stages;
    auto naturals = goro::patterns::generate<int>(stages, [](auto emit) {
      for (int i = 1; emit(i); ++i) {
      }
    });
    auto squares = goro::patterns::stage(stages, naturals, [](int n) { return n * n; });
    auto plus_one = goro::patterns::stage(stages, squares, [](int n) { return n + 1; });
    fmt::print("n*n + 1 for n = 1, 2, ...:");
    int read = 0;
    for (int v : plus_one) {
      fmt::print(" {}", v);
      if (++read == count) break;
    }
    fmt::print("\n");
    stages.cancel();  // every stage sees it, stops and closes its output
    stages.wait();    // ... and has ended once this returns
    fmt::print("read {} values, cancelled; fibers left running: {}\n", read,
               goro::live_fibers() - before);
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("pipeline", e);
}
