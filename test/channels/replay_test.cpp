// Deterministic replay on one processor: with options.seed fixed, a program of fibers that
// communicate over channels and selects runs the same interleaving every time, so a
// failure found with a seed can be replayed with it. The trace records, in order, every
// operation's outcome; its hash must match across runs with one seed and differ across
// seeds (select's random choice among ready cases follows the seed).
#include <cstdint>
#include <random>
#include <vector>

#include <goro/select.hpp>

#include "goro_test.hpp"

namespace {

// FNV-1a over the trace.
struct trace {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  std::size_t events = 0;
  void add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      hash ^= (v >> (8 * i)) & 0xff;
      hash *= 0x100000001b3ULL;
    }
    ++events;
  }
};

// Workers exchange values over channels of several capacities with sends, receives and
// selects chosen by their own generators; the interleaving is the scheduler's.
trace run_program(std::uint64_t seed) {
  trace t;
  goro::start({.procs = 1, .seed = seed});
  // One root fiber spawns the rest: nothing races with a plain thread's spawns.
  goro::spawn([&t] {
    constexpr int workers = 8, ops = 400;
    std::vector<goro::chan<int>> cs;
    for (std::size_t cap : {0, 0, 1, 3}) cs.emplace_back(cap);
    goro::wait_group wg;
    wg.add(workers);
    for (int w = 0; w < workers; ++w) {
      goro::go([&, w] {
        std::mt19937 rng(static_cast<unsigned>(w));  // the same ops whatever the seed
        for (int i = 0; i < ops; ++i) {
          auto& a = cs[rng() % cs.size()];
          auto& b = cs[rng() % cs.size()];
          int v = w * 100000 + i;
          int r = -1;
          switch (rng() % 3) {
            case 0:  // a select over two receives and a send, with a default
              r = goro::select(goro::recv(a, [&](auto x) { t.add(x ? *x : -1); }),
                               goro::recv(b, [&](auto x) { t.add(x ? *x : -1); }), goro::send(b, v),
                               goro::otherwise());
              break;
            case 1:
              r = a.try_send(v) ? 10 : 11;
              break;
            default:
              if (auto x = a.try_recv()) t.add(static_cast<std::uint64_t>(*x));
              r = 12;
              break;
          }
          t.add(static_cast<std::uint64_t>(w) << 32 | static_cast<std::uint32_t>(r));
          goro::this_fiber::yield();
        }
        wg.done();
      });
    }
    wg.wait();
  }).join();
  goro::shutdown();
  return t;
}

TEST(ReplayTest, OneSeedGivesOneInterleavingAnotherSeedAnother) {
  const std::uint64_t seed = goro_test::seed() | 1;
  SCOPED_TRACE(fmt::format("GORO_TEST_SEED={}", seed));
  const trace first = run_program(seed);
  EXPECT_GT(first.events, 8u * 400u);
  for (int run = 0; run < 3; ++run) EXPECT_EQ(run_program(seed).hash, first.hash) << "run " << run;
  EXPECT_NE(run_program(seed + 2).hash, first.hash) << "the seed does not steer select";
}

}  // namespace
