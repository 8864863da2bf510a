// samples/generator.cpp: on-demand values from a bounded channel, produced only as fast as
// they are read (Go's generator pattern). The producer is a fiber that calls emit(v) for
// each value; emit waits until the reader takes it (the channel holds no value), so the
// producer is never more than one value ahead. When the reader has had enough it cancels
// the context: emit returns false, the producer returns, the channel closes. The counts
// printed show both: how many values were made, and that the producer ended.
//
// --help: generator [--limit N=1000]
#include <string_view>
#include <utility>

#include <fmt/core.h>

#include <goro/goro.hpp>
#include <goro/patterns/generator.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: generator [--limit N=1000]\n"
    "  --limit N  read Fibonacci numbers up to N (1..1000000000)\n";

}  // namespace

int main(int argc, char** argv) try {
  int limit = 1000;
  samples::flags("generator", usage).integer("--limit", limit, 1, 1'000'000'000).parse(argc, argv);

  return goro::run([&] {
    auto [ctx, cancel] = goro::with_cancel(goro::context{});
    int made = 0;
    goro::wait_group producer_ended;
    producer_ended.add(1);
    auto fib = goro::patterns::generate<long>(ctx, [&](auto emit) {
      for (long a = 0, b = 1;; a = std::exchange(b, a + b)) {
        ++made;
        if (!emit(a)) break;  // the reader cancelled: stop producing
      }
      producer_ended.done();
    });
    int read = 0;
    fmt::print("Fibonacci numbers up to {}:", limit);
    for (long v : fib) {
      if (v > limit) break;  // one value past the limit was made, and is dropped
      fmt::print(" {}", v);
      ++read;
    }
    fmt::print("\n");
    cancel();
    producer_ended.wait();
    fmt::print("read {}, made {}: the producer stayed one value ahead, then stopped\n", read, made);
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("generator", e);
}
