// samples/skynet.cpp: one million fibers in a 10-ary tree summing their numbers, timed
// against OS threads (the skynet benchmark, github.com/atemerev/skynet).
//
// The root task covers the numbers 0..N-1. A task covering one number is a leaf and returns
// it; any other task splits its range in ten, starts one child per tenth and sums what they
// return. N = 1,000,000 leaves make 1,111,111 tasks, and the root's sum is N*(N-1)/2.
// The same tree is built twice: with goro fibers and channels, then with std::thread on a
// smaller tree, since a million OS threads do not fit a default kernel. Dividing each time by
// the number of tasks gives what one task costs, a fiber against a thread.
//
// --help: skynet [--leaves N=1000000] [--thread-leaves N=10000] [--procs N]
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"  // option_failed

namespace {

constexpr std::string_view usage =
    "usage: skynet [--leaves N=1000000] [--thread-leaves N=10000] [--procs N]\n"
    "  --leaves N         leaf fibers of the goro tree (a power of 10)\n"
    "  --thread-leaves N  leaf threads of the std::thread tree (a power of 10, at most 100000)\n"
    "  --procs N          goro processors (default: GORO_PROCS, else one per hardware thread)\n";

struct args {
  std::int64_t leaves = 1'000'000;
  std::int64_t thread_leaves = 10'000;
  int procs = 0;
};

bool power_of_10(std::int64_t n) {
  while (n >= 10 && n % 10 == 0) n /= 10;
  return n == 1;
}

// --flag N or --flag=N. --help: usage on stdout, exit 0. A bad flag: usage on stderr, exit 2.
args parse_or_exit(int argc, char** argv) {
  auto fail = [](std::string_view why) {
    fmt::print(stderr, "skynet: {}\n{}", why, usage);
    std::exit(2);
  };
  args a;
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
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size() || value.empty())
      fail(fmt::format("{}: '{}' is not a number", flag, value));
    if (flag == "--leaves") {
      if (v < 1 || v > 1'000'000'000 || !power_of_10(v)) fail("--leaves: want 1, 10, ... 10^9");
      a.leaves = v;
    } else if (flag == "--thread-leaves") {
      if (v < 1 || v > 100'000 || !power_of_10(v)) fail("--thread-leaves: want 1, 10, ... 10^5");
      a.thread_leaves = v;
    } else if (flag == "--procs") {
      if (v < 1 || v > 1024) fail("--procs: want 1..1024");
      a.procs = static_cast<int>(v);
    } else {
      fail(fmt::format("unknown flag {}", flag));
    }
  }
  return a;
}

// The fiber tree, as the classic benchmark builds it: every task is a detached fiber
// (goro::go) that sends its sum on its parent's channel. A parent makes one unbuffered
// channel, starts its ten children on it and receives ten sums, in whatever order the
// children finish. Go's version, line for line:
//
//   func skynet(c chan int64, num, size int64) {
//       if size == 1 { c <- num; return }
//       rc := make(chan int64)
//       for i := int64(0); i < 10; i++ { go skynet(rc, num+i*(size/10), size/10) }
//       var sum int64
//       for i := 0; i < 10; i++ { sum += <-rc }
//       c <- sum
//   }
void fiber_skynet(goro::chan<std::int64_t> c, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    c.send(num);
    return;
  }
  goro::chan<std::int64_t> rc(0);
  for (std::int64_t i = 0; i < 10; ++i)
    goro::go(fiber_skynet, rc, num + i * (size / 10), size / 10);
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += *rc.recv();
  c.send(sum);
}

// The thread tree: the same shape, one std::thread per task, each child writing its sum
// into its parent's array before the parent joins it.
std::int64_t thread_skynet(std::int64_t num, std::int64_t size) {
  if (size == 1) return num;
  std::array<std::int64_t, 10> sums{};
  std::array<std::thread, 10> children;
  for (std::int64_t i = 0; i < 10; ++i) {
    children[i] = std::thread(
        [&sums, i, num, size] { sums[i] = thread_skynet(num + i * (size / 10), size / 10); });
  }
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < 10; ++i) {
    children[i].join();
    sum += sums[i];
  }
  return sum;
}

std::int64_t tasks(std::int64_t leaves) {  // 1 + 10 + 100 + ... + leaves
  std::int64_t n = 0;
  for (std::int64_t level = 1; level <= leaves; level *= 10) n += level;
  return n;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) try {
  auto args = parse_or_exit(argc, argv);
  bool ok = true;

  // Start the runtime before the clock, so that the time is the tree's alone.
  goro::start({.procs = args.procs});
  auto t0 = std::chrono::steady_clock::now();
  goro::chan<std::int64_t> root(0);
  goro::go(fiber_skynet, root, std::int64_t{0}, args.leaves);
  std::int64_t sum = *root.recv();  // main, a plain thread, blocks until the root sends
  double fiber_ms = ms_since(t0);
  double fiber_us = fiber_ms * 1000 / double(tasks(args.leaves));  // per fiber
  fmt::print(
      "goro: {} leaf fibers ({} in all, {} processors), sum {}, {:.0f} ms ({:.2f} us/fiber)\n",
      args.leaves, tasks(args.leaves), goro::procs(), sum, fiber_ms, fiber_us);
  if (sum != args.leaves * (args.leaves - 1) / 2) {
    fmt::print(stderr, "skynet: wrong fiber sum {}, want {}\n", sum,
               args.leaves * (args.leaves - 1) / 2);
    ok = false;
  }
  goro::shutdown();  // the thread tree runs alone on the machine

  t0 = std::chrono::steady_clock::now();
  std::int64_t thread_sum = 0;
  std::thread([&] { thread_sum = thread_skynet(0, args.thread_leaves); }).join();
  double thread_ms = ms_since(t0);
  double thread_us = thread_ms * 1000 / double(tasks(args.thread_leaves));  // per thread
  fmt::print("threads: {} leaf threads ({} in all), sum {}, {:.0f} ms ({:.2f} us/thread)\n",
             args.thread_leaves, tasks(args.thread_leaves), thread_sum, thread_ms, thread_us);
  if (thread_sum != args.thread_leaves * (args.thread_leaves - 1) / 2) {
    fmt::print(stderr, "skynet: wrong thread sum {}, want {}\n", thread_sum,
               args.thread_leaves * (args.thread_leaves - 1) / 2);
    ok = false;
  }

  // The cost of one task, side by side: small ratios keep a decimal.
  bool fibers_cheaper = thread_us >= fiber_us;
  double ratio = fibers_cheaper ? thread_us / fiber_us : fiber_us / thread_us;
  fmt::print("per task: {} are {:.{}f}x cheaper than {}\n", fibers_cheaper ? "fibers" : "threads",
             ratio, ratio < 10 ? 1 : 0, fibers_cheaper ? "threads" : "fibers");
  return ok ? 0 : 1;
} catch (const goro::option_error& e) {
  return samples::option_failed("skynet", e);
}
