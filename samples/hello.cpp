// samples/hello.cpp: the first fiber and the first channel. A fiber computes a random number
// and sends it over a channel; main receives it and prints it. The Go original:
//
//   const numPool = 10
//
//   func CalculateValue(intChan chan int) {
//       randomNumber := RandomNumber(numPool)
//       intChan <- randomNumber
//   }
//
//   func main() {
//       intChan := make(chan int)
//       defer close(intChan)
//       go CalculateValue(intChan)
//       num := <-intChan
//       log.Println(num)
//   }
//
// The channel is unbuffered: the send waits until main is there to take the value, so the
// two meet at the channel, and the number is handed over without any shared variable or lock.
//
// --help: hello [--pool N=10]
#include <cstdio>
#include <random>
#include <string_view>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: hello [--pool N=10]\n"
    "  --pool N  the fiber picks a random number in 0..N-1 (1..1000000)\n";

int parse_or_exit(int argc, char** argv) {
  int pool = 10;
  samples::flags("hello", usage).integer("--pool", pool, 1, 1'000'000).parse(argc, argv);
  return pool;
}

// Go's RandomNumber: seeded afresh from the system's entropy, then one draw in 0..n-1.
int random_number(int n) {
  std::mt19937 rng(std::random_device{}());
  return std::uniform_int_distribution<int>(0, n - 1)(rng);
}

// Runs on its own fiber. The channel is passed by value: a goro::chan is a handle, and the
// copy refers to the same channel as main's, as a Go channel value does.
void calculate_value(goro::chan<int> int_chan, int pool) {
  int random = random_number(pool);
  int_chan.send(random);  // Go's `intChan <- randomNumber`: waits for main's recv()
}

}  // namespace

int main(int argc, char** argv) try {
  int pool = parse_or_exit(argc, argv);

  goro::chan<int> int_chan(0);  // Go's make(chan int): capacity 0, unbuffered

  // Go's `go CalculateValue(intChan)`. spawn() rather than go(): main joins the fiber below,
  // so that it has ended before main does (a Go main may return while goroutines still run).
  auto fiber = goro::spawn(calculate_value, int_chan, pool);

  // Go's `num := <-intChan`. main is a plain thread here: recv() blocks it until the fiber
  // sends. recv() returns an optional, empty only if the channel was closed with nothing left.
  int num = *int_chan.recv();
  fmt::print("received {} from a fiber (a random number in 0..{})\n", num, pool - 1);

  fiber.join();
  int_chan.close();  // Go's `defer close(intChan)`: good manners, nobody else receives
} catch (const goro::option_error& e) {
  return samples::option_failed("hello", e);
}
