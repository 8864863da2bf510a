// samples/squares.cpp: squaring a hundred numbers with fibers, two ways (from the talk
// "Golang design4concurrency"). First a pool of ten workers sharing one buffered input
// channel; then one fiber per input. The Go originals:
//
//   func square(input chan int, output chan int) {     func square(value int, output chan int) {
//       for value := range input {                         time.Sleep(1 * time.Second)
//           time.Sleep(1 * time.Second)                    output <- value * value
//           output <- value * value                    }
//       }
//   }                                                  func main() {
//                                                          output := make(chan int, 100)
//   func main() {                                          for i := 0; i < 100; i++ {
//       input := make(chan int, 100)                           go square(i, output)
//       output := make(chan int, 100)                      }
//       for i := 0; i < 10; i++ {                          go printResult(output)
//           go square(input, output)                       time.Sleep(15 * time.Second)
//       }                                              }
//       for i := 0; i < 100; i++ {
//           input <- i                                 func printResult(output chan int) {
//       }                                                  for result := range output {
//       close(input)                                           fmt.Println("Result", result)
//       go printResult(output)                             }
//       time.Sleep(15 * time.Second)                   }
//       close(output)
//   }
//
// The originals sleep in two places. The second-long sleep in each square stands for work
// that waits (on a disk, a network): it is why ten workers need ten seconds for a hundred
// inputs, and a goroutine per input only one. That one stays, a thousand times shorter
// (--work-us). The fifteen seconds in main wait for the work to end, hoping it has; that
// one goes. Here everything is joined instead:
//   - a wait_group counts the squaring fibers, and main waits for it;
//   - then main closes output, which ends the printer's range-for once it has drained it;
//   - the printer (here it sums rather than prints) is joined for its result.
// Closing is how a channel says "no more values": main closes input once it has sent every
// value, which ends each worker's range-for; and output, once every square is in.
//
// --help: squares [--workers N=10] [--inputs N=100] [--work-us N=1000]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: squares [--workers N=10] [--inputs N=100] [--work-us N=1000]\n"
    "  --workers N  fibers in the pool (1..10000)\n"
    "  --inputs N   numbers to square, 1..N (1..1000000)\n"
    "  --work-us N  microseconds each square waits, standing for work (0..1000000)\n";

struct args {
  int workers = 10;
  int inputs = 100;
  std::chrono::microseconds work{1000};
};

args parse_or_exit(int argc, char** argv) {
  args a;
  int work_us = static_cast<int>(a.work.count());
  samples::flags("squares", usage)
      .integer("--workers", a.workers, 1, 10'000)
      .integer("--inputs", a.inputs, 1, 1'000'000)
      .integer("--work-us", work_us, 0, 1'000'000)
      .parse(argc, argv);
  a.work = std::chrono::microseconds(work_us);
  return a;
}

// The printer of the originals, summing instead of printing: takes results until output is
// closed and drained, then returns their sum.
std::int64_t sum_results(goro::recv_chan<std::int64_t> output) {
  std::int64_t sum = 0;
  for (std::int64_t result : output) sum += result;
  return sum;
}

// The originals' time.Sleep(1 * time.Second): work that waits. Sleeping parks the fiber, and
// its processor runs another fiber meanwhile: a thousand waiting fibers cost no threads.
void work(std::chrono::microseconds d) {
  if (d.count() > 0) goro::this_fiber::sleep_for(d);
}

// Go's first square(): one worker of the pool. Squares values from input until input is
// closed and drained. Counts the values it took in `taken`, its own: no other fiber touches it.
void square_all(goro::recv_chan<int> input, goro::send_chan<std::int64_t> output,
                std::chrono::microseconds d, int& taken) {
  for (int value : input) {
    work(d);
    output.send(std::int64_t{value} * value);
    ++taken;
  }
}

// Ten workers, a hundred inputs from a buffered channel. Returns the sum of the squares.
std::int64_t pool_of_workers(const args& a, std::vector<int>& taken) {
  goro::chan<int> input(100);  // Go's make(chan int, 100): main can send ahead of the workers
  goro::chan<std::int64_t> output(100);
  goro::wait_group wg;
  taken.assign(a.workers, 0);

  auto printer = goro::spawn(sum_results, output);  // drains output while the workers fill it

  wg.add(a.workers);
  for (int w = 0; w < a.workers; ++w) {
    // input and output are copied into the fiber (channel handles); wg and taken are
    // shared, and outlive the fiber since this function waits on wg before it returns.
    goro::go([input, output, &wg, &taken, &a, w] {
      square_all(input, output, a.work, taken[w]);
      wg.done();
    });
  }

  for (int i = 1; i <= a.inputs; ++i) input.send(i);  // waits only while the buffer is full
  input.close();  // each worker's range-for ends once the buffer is drained

  wg.wait();       // instead of time.Sleep(15 * time.Second): every worker has ended
  output.close();  // so nobody sends on output any more: the printer may stop
  return printer.join();
}

// Go's second square(): one fiber per input, each sending its one square. Returns the sum.
std::int64_t fiber_per_input(const args& a) {
  goro::chan<std::int64_t> output(100);
  goro::wait_group wg;

  auto printer = goro::spawn(sum_results, output);  // drains output as the fibers fill it

  wg.add(a.inputs);
  for (int i = 1; i <= a.inputs; ++i) {
    goro::go([output, &wg, &a, i] {
      work(a.work);
      output.send(std::int64_t{i} * i);
      wg.done();
    });
  }

  wg.wait();
  output.close();
  return printer.join();
}

// Runs f() and returns what it returned, and how long it took in milliseconds.
template <class Fn>
std::pair<std::int64_t, double> timed(Fn f) {
  auto t0 = std::chrono::steady_clock::now();
  std::int64_t r = f();
  return {r,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()};
}

}  // namespace

int main(int argc, char** argv) try {
  auto args = parse_or_exit(argc, argv);
  // 1^2 + 2^2 + ... + n^2, to check the fibers' answer against.
  const std::int64_t n = args.inputs, want = n * (n + 1) * (2 * n + 1) / 6;
  fmt::print("squaring 1..{}, each square waiting {} us (the originals: 1 s)\n", args.inputs,
             args.work.count());

  goro::start();  // before the clock: the runtime's threads are not the pool's cost
  std::vector<int> taken;
  auto [pool_sum, pool_ms] = timed([&] { return pool_of_workers(args, taken); });
  fmt::print("pool: {} worker fibers, inputs from a buffered channel: sum {}, {:.1f} ms\n",
             args.workers, pool_sum, pool_ms);
  // Who takes which value is up to the scheduler. A worker takes the next value when it is
  // free, so while the work waits, the values spread over the workers; with --work-us 0 a
  // worker need never stop, and a few may take them all. Only the sum is fixed.
  std::string counts;
  for (int t : taken) counts += fmt::format(" {}", t);
  fmt::print("  inputs taken per worker:{}\n", counts);

  auto [per_input_sum, per_input_ms] = timed([&] { return fiber_per_input(args); });
  fmt::print("one fiber per input: {} fibers, one input each: sum {}, {:.1f} ms\n", args.inputs,
             per_input_sum, per_input_ms);

  if (pool_sum != want || per_input_sum != want) {
    fmt::print(stderr, "squares: wrong sum, want {}\n", want);
    return 1;
  }
  fmt::print("both sums are {}, the sum of i^2 for i = 1..{}\n", want, args.inputs);
} catch (const goro::option_error& e) {
  return samples::option_failed("squares", e);
}
