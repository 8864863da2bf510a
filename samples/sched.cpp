// samples/sched.cpp: the scheduler at work. goro runs fibers (Go's G) on processors (P), each
// with its own run queue, and each P is driven by an OS thread, a machine (M). This sample
// starts goro with a few Ps, gives them a mix of work, and prints the per-P counters of
// goro::stats() every ~100 ms while the work runs, then once more at the end.
//
// The work, all at once:
//   - a burst: 1000 fibers spawned from main, each doing 20 rounds of ~10 us of work and a
//     yield. Spawned from a plain thread, they go to the global queue; the Ps take them from
//     there in batches. They end after the first ~100-200 ms.
//   - sleepers: 10 fibers sleeping 10 ms at a time. Each sleep parks the fiber on its P's
//     timer heap: look at `parks` and `timers`.
//   - a spawner: one fiber that spawns waves of 500 children (~20 us of work each) and joins
//     them. A fiber's children go to its own P's queue (`spawns`, `runq`), so the other Ps
//     run out of work and take half of that queue at a time (`steals`, `stolen`).
//
// What to look for: while the burst lasts, every P has work of its own and `steals` stays
// at 0; once it is over, the P without the spawner runs dry and steals its children.
//
// Columns (counters only grow; runq is the length now):
//   spawns  fibers spawned by fibers running on this P    runs    fibers switched to on it
//   parks   fibers that parked on it (sleep, join, wait)  steals  times it stole from another P
//   stolen  fibers it took in those steals                timers  sleeps that ended on it
//   runq    fibers waiting in its local run queue
//
// --help: sched [--procs N=2] [--samples K=5]
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

constexpr std::string_view usage =
    "usage: sched [--procs N=2] [--samples K=5]\n"
    "  --procs N    processors (Go's GOMAXPROCS), 1..64\n"
    "  --samples K  snapshots of the counters taken every 100 ms while the work runs, 1..100\n";

struct args {
  int procs = 2;
  int samples = 5;
};

args parse_or_exit(int argc, char** argv) {
  args a;
  samples::flags("sched", usage)
      .integer("--procs", a.procs, 1, 64)
      .integer("--samples", a.samples, 1, 100)
      .parse(argc, argv);
  return a;
}

// CPU work that the scheduler cannot interrupt: goro is cooperative, a fiber runs until it
// reaches a scheduling point (yield, sleep, join, wait).
void work(std::chrono::microseconds d) {
  auto end = steady_clock::now() + d;
  while (steady_clock::now() < end) {
  }
}

std::atomic<std::int64_t> fibers_ran{0};  // every fiber of the sample counts itself once
std::atomic<bool> stop{false};            // set by main after the last sample

void print_stats(std::string_view when) {
  auto s = goro::stats();
  fmt::print(
      "-- {}: {} machines created ({} idle, {} spinning, {} in goro::blocking), {} idle "
      "processors\n   {} live fibers: {} running, {} runnable, {} parked\n",
      when, s.machines, s.idle_machines, s.spinning_machines, s.blocking_machines,
      s.idle_processors, s.live_fibers, s.fibers_running, s.fibers_runnable, s.fibers_parked);
  std::string ms;
  for (const auto& m : s.machine_list) ms += fmt::format(" M{} {}", m.id, goro::to_string(m.state));
  fmt::print("   machines:{}\n", ms);
  fmt::print("   {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>6}\n", "spawns", "runs", "parks",
             "steals", "stolen", "timers", "pending", "runq");
  for (const auto& p : s.processors) {
    fmt::print("P{:<2}{:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>6}\n", p.id, p.spawns, p.runs,
               p.parks, p.steals, p.stolen, p.timers_fired, p.timers_pending, p.run_queue);
  }
}

}  // namespace

int main(int argc, char** argv) try {
  auto args = parse_or_exit(argc, argv);
  goro::start({.procs = args.procs});
  auto t0 = steady_clock::now();

  std::vector<goro::join_handle<void>> fibers;

  // The spawner: waves of children on its own P, until main says stop.
  fibers.push_back(goro::spawn({.name = "spawner"}, [] {
    fibers_ran.fetch_add(1, std::memory_order_relaxed);
    std::vector<goro::join_handle<void>> children;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 100; ++i) {
        children.push_back(goro::spawn([] {
          fibers_ran.fetch_add(1, std::memory_order_relaxed);
          work(50us);
        }));
      }
      for (auto& c : children) c.join();  // parks the spawner while its children run
      children.clear();
    }
  }));

  // The sleepers: each sleep parks the fiber until its timer fires.
  for (int i = 0; i < 10; ++i) {
    fibers.push_back(goro::spawn({.name = "sleeper"}, [] {
      fibers_ran.fetch_add(1, std::memory_order_relaxed);
      while (!stop.load(std::memory_order_relaxed)) goro::this_fiber::sleep_for(10ms);
    }));
  }

  // The burst: many short fibers that yield, spread over the Ps through the global queue.
  for (int i = 0; i < 1000; ++i) {
    fibers.push_back(goro::spawn([] {
      fibers_ran.fetch_add(1, std::memory_order_relaxed);
      for (int round = 0; round < 10; ++round) {
        work(10us);
        goro::this_fiber::yield();  // back of this P's queue: the others get a turn
      }
    }));
  }

  // Main is a plain thread: it watches the counters while the fibers run.
  for (int k = 1; k <= args.samples; ++k) {
    std::this_thread::sleep_until(t0 + k * 100ms);
    print_stats(fmt::format("after {} ms", k * 100));
  }
  stop.store(true, std::memory_order_relaxed);
  for (auto& f : fibers) f.join();

  // Print the final counters before shutdown(): the processors go away with the runtime.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - t0);
  print_stats(fmt::format("at the end, {} ms", ms.count()));
  auto s = goro::stats();
  std::uint64_t steals = 0, stolen = 0;
  for (const auto& p : s.processors) {
    steals += p.steals;
    stolen += p.stolen;
  }
  fmt::print("total: {} fibers ran on {} processors, {} steals ({} fibers stolen)\n",
             fibers_ran.load(), s.processors.size(), steals, stolen);
  goro::shutdown();
} catch (const goro::option_error& e) {
  return samples::option_failed("sched", e);
}
