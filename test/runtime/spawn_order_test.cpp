// The order in which spawned fibers run (run_queue.hpp): the newest fresh fiber first, so a
// fork-join tree runs depth first and keeps few fibers alive at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <goro/chan.hpp>
#include <goro/debug.hpp>
#include <goro/runtime.hpp>
#include <goro/spawn.hpp>
#include <goro/this_fiber.hpp>
#include <goro/time.hpp>
#include <goro/wait_group.hpp>

#include "goro_test.hpp"

namespace {

using SpawnOrderTest = goro_test::RuntimeTest;

struct census {
  std::atomic<std::int64_t> live{0}, peak{0};
  goro::wait_group ended;  // every fiber born has ended (the tree's sum can come first)
  void born() {
    ended.add(1);
    const auto now = live.fetch_add(1, std::memory_order_relaxed) + 1;
    auto seen = peak.load(std::memory_order_relaxed);
    while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }
  void gone() {
    live.fetch_sub(1, std::memory_order_relaxed);
    ended.done();
  }
};

// Skynet's shape: each node of a 10-ary tree spawns its 10 children, then receives their
// sums on its own unbuffered channel; a leaf sends its number. Returns the node's sum.
std::int64_t node(census& c, std::int64_t first, std::int64_t size, goro::chan<std::int64_t>* up) {
  std::int64_t sum = 0;
  if (size == 1) {
    sum = first;
  } else {
    goro::chan<std::int64_t> down(0);
    const std::int64_t part = size / 10;
    for (int i = 0; i < 10; ++i) {
      c.born();
      goro::go([&c, &down, first, part, i] { node(c, first + i * part, part, &down); });
    }
    for (int i = 0; i < 10; ++i) sum += *down.recv();
  }
  if (up) {
    up->send(sum);
    c.gone();
  }
  return sum;
}

// 11,111 fibers in a tree of depth 4. Depth first, each level holds at most its ten
// siblings: about 40 alive, plus a few subtrees that the scheduler's fairness pass starts
// early (it takes the oldest fiber every 61st pass) and, at P=2, the subtrees the other
// processor steals: 52 to 67 were measured. With Go's order (a spawn goes to runnext, the
// one it displaces to the back of a FIFO queue), 1,207 were alive at once.
TEST_P(SpawnOrderTest, AForkJoinTreeRunsDepthFirst) {
  census c;
  std::int64_t total = -1;
  goro::spawn([&] { total = node(c, 0, 10'000, nullptr); }).join();
  c.ended.wait();  // a child's gone() runs after its parent received its sum
  EXPECT_EQ(total, std::int64_t{10'000} * 9'999 / 2);
  EXPECT_EQ(c.live.load(), 0);
  EXPECT_LE(c.peak.load(), 250) << "fibers alive at once in a tree of 11,111";
}

GORO_INSTANTIATE(SpawnOrderTest, 1, 2);

// Fibers readied while their processor's queue overflows stay ahead of the global queue's
// backlog of spawns (runq_put_slow): 400 fibers wait on a channel while 20,000 fresh ones
// are queued (most of them spill to the global queue); closing the channel readies the 400
// into the full local queue. Each fiber takes a ticket when it runs: the 400 must all run
// before half the backlog. Go's rule (spill the older half, and the new fiber, to the global
// queue's tail) put some of them behind all 20,000.
using ReadiedOrderTest = goro_test::RuntimeTest;

TEST_P(ReadiedOrderTest, ReadiedFibersStayAheadOfASpawnBacklog) {
  constexpr int readied = 400, backlog = 20'000;
  std::atomic<int> ticket{0}, latest_readied{-1};
  goro::spawn([&] {
    goro::chan<int> gate(0);
    goro::wait_group parked, done;
    parked.add(readied);
    done.add(readied + backlog);
    for (int i = 0; i < readied; ++i)
      goro::go([&] {
        parked.done();
        (void)gate.recv();  // closed below: readied
        const int t = ticket.fetch_add(1, std::memory_order_relaxed);
        int seen = latest_readied.load(std::memory_order_relaxed);
        while (t > seen && !latest_readied.compare_exchange_weak(seen, t)) {
        }
        done.done();
      });
    parked.wait();  // every one of them waits on the gate
    for (int i = 0; i < backlog; ++i)
      goro::go([&] {
        ticket.fetch_add(1, std::memory_order_relaxed);
        done.done();
      });
    gate.close();
    done.wait();
  }).join();
  EXPECT_EQ(ticket.load(), readied + backlog);
  EXPECT_LT(latest_readied.load(), backlog / 2) << "a readied fiber ran behind the backlog";
}

// A timer that the monitor fires (its processor held by one fiber for over 10 ms) readies
// its fiber onto the global queue: at the head, not behind a backlog of 20,000 spawns
// there. The timer is armed only once the backlog is queued, so the monitor fires it after.
TEST_P(ReadiedOrderTest, ATimerFiredByTheMonitorGoesAheadOfASpawnBacklog) {
  constexpr int backlog = 20'000;
  std::atomic<int> ticket{0};
  int sleeper_ticket = -1;
  std::string failure;
  goro::spawn([&] {
    goro::wait_group done;
    done.add(backlog + 1);
    goro::timer t(std::chrono::hours(1));
    auto sleeper = goro::spawn([&] {
      (void)t.c().recv();
      sleeper_ticket = ticket.fetch_add(1, std::memory_order_relaxed);
      done.done();
    });
    auto state_of = [id = sleeper.id()] {
      for (auto& f : goro::list_fibers(false))
        if (f.id == id) return f.state + "/" + f.wait_reason;
      return std::string("gone");
    };
    while (state_of() != "parked/chan receive") goro::this_fiber::yield();
    for (int i = 0; i < backlog; ++i)
      goro::go([&] {
        ticket.fetch_add(1, std::memory_order_relaxed);
        done.done();
      });
    t.reset(std::chrono::milliseconds(1));
    // Hold the processor (no scheduling point) until the monitor has readied the sleeper.
    const auto limit = std::chrono::steady_clock::now() + goro_test::bound();
    while (state_of() != "runnable/") {
      if (std::chrono::steady_clock::now() > limit) {
        failure = "the monitor did not fire the overdue timer; the sleeper is " + state_of();
        break;
      }
      std::this_thread::yield();
    }
    done.wait();
    sleeper.join();
  }).join();
  ASSERT_EQ(failure, "");
  EXPECT_LT(sleeper_ticket, backlog / 2) << "the late sleeper ran behind the backlog";
}

// One processor: at two, the other one may run the backlog meanwhile, whatever the order.
GORO_INSTANTIATE(ReadiedOrderTest, 1);

}  // namespace
