// samples/fanout.cpp: one source distributed over a pool of workers, the results gathered
// (Go's fan-out). The Go original (the pipelines article: "multiple functions can read from
// the same channel until that channel is closed"):
//
//   in := gen(1, 2, ..., n)
//   results := make(chan int)
//   var wg sync.WaitGroup
//   wg.Add(workers)
//   for w := 0; w < workers; w++ {
//       go func() {
//           defer wg.Done()
//           for n := range in { results <- work(n) }
//       }()
//   }
//   go func() { wg.Wait(); close(results) }()
//   for r := range results { use(r) }
//
// The workers share one input channel: whichever is free takes the next value, so the work
// spreads by itself, and a slow input holds up one worker only. Results come out as they
// finish, not in input order. Done three ways: by hand as above; with
// goro::patterns::fan_out and order::any (the same, plus a context to stop it); and with
// order::kept, which numbers the inputs and releases each result only after those before it.
// Each run checks that every input's result arrived exactly once, counts how many results
// arrived after a later input's (out of input order), and tells which worker took how many.
//
// --help: fanout [--workers N=4] [--inputs N=100] [--work-us N=500]
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>
#include <goro/patterns/fan_out.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: fanout [--workers N=4] [--inputs N=100] [--work-us N=500]\n"
    "  --workers N  worker fibers in the pool (1..1000)\n"
    "  --inputs N   values sent by the source, 1..N (1..100000)\n"
    "  --work-us N  each input's work waits 1, 2 or 3 times N microseconds (0..100000)\n";

struct args {
  int workers = 4;
  int inputs = 100;
  int work_us = 500;
};

args parse_or_exit(int argc, char** argv) {
  args a;
  samples::flags("fanout", usage)
      .integer("--workers", a.workers, 1, 1000)
      .integer("--inputs", a.inputs, 1, 100'000)
      .integer("--work-us", a.work_us, 0, 100'000)
      .parse(argc, argv);
  return a;
}

// A result, and which worker made it (its fiber id: fan_out's workers have no other name).
struct result {
  int input;
  std::int64_t square;
  std::uint64_t worker;
};

// The work: squares n after waiting 1, 2 or 3 times work_us (work that waits, on a disk or
// a network; uneven, so that results finish out of order).
result work(int n, int work_us) {
  if (work_us > 0) goro::this_fiber::sleep_for(std::chrono::microseconds(work_us * (1 + n % 3)));
  return {n, std::int64_t{n} * n, goro::this_fiber::id()};
}

// The source: 1..n, then a close (which ends the workers' loops).
goro::recv_chan<int> source(int n) {
  goro::chan<int> out(0);
  goro::go([out, n] {
    for (int i = 1; i <= n; ++i) out.send(i);
    out.close();
  });
  return out;
}

// What gather found: whether every input's result came exactly once and right, and how
// many results came after a later input's.
struct tally {
  bool complete;
  int out_of_order;
};

// Reads results until the channel is closed; checks them, and prints what it found.
tally gather(goro::recv_chan<result> results, int inputs,
             std::chrono::steady_clock::time_point t0) {
  std::vector<int> seen(inputs + 1, 0);
  std::map<std::uint64_t, int> per_worker;  // by fiber id: ids grow, so in order of spawning
  int count = 0, out_of_order = 0, latest = 0;
  std::int64_t sum = 0;
  bool right = true;
  for (const result& r : results) {
    ++count;
    ++seen[r.input];
    right &= r.square == std::int64_t{r.input} * r.input;
    sum += r.square;
    ++per_worker[r.worker];
    if (r.input < latest) ++out_of_order;  // a later input's result came first
    if (r.input > latest) latest = r.input;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  int once = 0;
  for (int i = 1; i <= inputs; ++i) once += seen[i] == 1;
  std::string counts;
  for (const auto& [worker, n] : per_worker) counts += fmt::format(" {}", n);
  fmt::print("  {} results, {} inputs answered exactly once, sum of squares {}, {:.1f} ms\n", count,
             once, sum, ms);
  fmt::print("  results per worker:{}\n  out of input order: {}\n", counts, out_of_order);
  return {right && count == inputs && once == inputs, out_of_order};
}

// By hand, as in Go: the workers range over one channel; a wait_group tells when they have
// all ended, and then the results channel is closed.
tally by_hand(const args& a) {
  const auto t0 = std::chrono::steady_clock::now();
  auto in = source(a.inputs);
  goro::chan<result> results(0);
  auto gatherer = goro::spawn(gather, results, a.inputs, t0);  // reads while the workers work

  goro::wait_group wg;
  wg.add(a.workers);
  for (int w = 0; w < a.workers; ++w) {
    goro::go([in, results, &wg, &a] {
      for (int n : in) results.send(work(n, a.work_us));
      wg.done();
    });
  }
  wg.wait();        // every worker has ended: nothing more will be sent
  results.close();  // so the gatherer's loop may end
  return gatherer.join();
}

// With the library's pool: the same shape, the pool and the closing done by fan_out.
tally with_fan_out(const args& a, goro::patterns::order o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto results = goro::patterns::fan_out(
      goro::context{}, source(a.inputs), a.workers,
      [work_us = a.work_us](int n) { return work(n, work_us); }, o);
  return gather(results, a.inputs, t0);  // the pool closes results when all is done
}

}  // namespace

int main(int argc, char** argv) try {
  auto a = parse_or_exit(argc, argv);

  return goro::run([&] {
    fmt::print("{} inputs over {} workers, each input's work waiting {}..{} us\n", a.inputs,
               a.workers, a.work_us, 3 * a.work_us);

    fmt::print("by hand (the workers range over one channel, a wait_group closes the results):\n");
    auto hand = by_hand(a);
    fmt::print("goro::patterns::fan_out, order::any (results as they finish):\n");
    auto any = with_fan_out(a, goro::patterns::order::any);
    fmt::print("goro::patterns::fan_out, order::kept (results in input order):\n");
    auto kept = with_fan_out(a, goro::patterns::order::kept);

    if (!hand.complete || !any.complete || !kept.complete) {
      fmt::print(stderr, "fanout: a result was lost, repeated or wrong\n");
      return 1;
    }
    if (kept.out_of_order != 0) {
      fmt::print(stderr, "fanout: order::kept let a result out of input order\n");
      return 1;
    }
    fmt::print(
        "every input's result arrived exactly once, each way, and order::kept kept the order\n");
    return 0;
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("fanout", e);
}
