#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <goro/runtime.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

#include "goro_test.hpp"

namespace {

using SpawnTest = goro_test::RuntimeTest;

TEST_P(SpawnTest, JoinReturnsTheResult) {
  auto h = goro::spawn([](int a, int b) { return a * b; }, 6, 7);
  EXPECT_TRUE(h.joinable());
  EXPECT_EQ(h.join(), 42);
  EXPECT_FALSE(h.joinable());
}

TEST_P(SpawnTest, ArgumentsAreDecayCopied) {
  std::string s = "hello";
  auto h = goro::spawn([](std::string v) { return v + "!"; }, s);
  s = "changed";
  EXPECT_EQ(h.join(), "hello!");
}

TEST_P(SpawnTest, MoveOnlyArgumentsAndResults) {
  auto h = goro::spawn([](std::unique_ptr<int> p) { return std::make_unique<int>(*p + 1); },
                       std::make_unique<int>(41));
  EXPECT_EQ(*h.join(), 42);
}

TEST_P(SpawnTest, ExceptionReachesTheJoinerWithTypeAndText) {
  auto h = goro::spawn([]() -> int {
    goro::this_fiber::yield();  // resume, maybe on another machine, before throwing
    throw std::out_of_range("index 7 out of range");
  });
  try {
    h.join();
    FAIL() << "join() did not rethrow";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "index 7 out of range");
  }
}

TEST_P(SpawnTest, JoinOfAnEmptyHandleThrows) {
  auto h = goro::spawn([] {});
  h.join();
  EXPECT_THROW(h.join(), goro::error);
  goro::join_handle<int> empty;
  EXPECT_THROW(empty.join(), goro::error);
}

TEST_P(SpawnTest, IdsAreUniqueAndNamesAreKept) {
  auto a = goro::spawn({.name = "alpha"}, [] {
    return std::pair{goro::this_fiber::id(), std::string(goro::this_fiber::name())};
  });
  auto b = goro::spawn([] { return goro::this_fiber::id(); });
  auto ida = a.id();
  auto idb = b.id();
  auto [seen_id, seen_name] = a.join();
  EXPECT_EQ(seen_id, ida);
  EXPECT_EQ(seen_name, "alpha");
  EXPECT_EQ(b.join(), idb);
  EXPECT_NE(ida, idb);
  EXPECT_EQ(goro::this_fiber::id(), 0u) << "the test body is a plain thread";
}

TEST_P(SpawnTest, FibersSpawnAndJoinFibers) {
  // A binary tree of depth 12, every node joining its children: 8191 fibers.
  struct tree {
    static long sum(int depth, long id) {
      if (depth == 0) return id;
      auto l = goro::spawn(sum, depth - 1, 2 * id);
      auto r = goro::spawn(sum, depth - 1, 2 * id + 1);
      return l.join() + r.join();
    }
  };
  long expected = 0;
  for (long i = 4096; i < 8192; ++i) expected += i;
  EXPECT_EQ(goro::spawn(tree::sum, 12, 1L).join(), expected);
}

TEST_P(SpawnTest, DetachedFibersRunToTheEnd) {
  goro::wait_group wg;
  std::atomic<int> n{0};
  wg.add(1000);
  for (int i = 0; i < 1000; ++i) {
    goro::go([&] {
      n.fetch_add(1, std::memory_order_relaxed);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(n.load(), 1000);
}

// Dropping a handle unjoined neither waits for the fiber nor ends it: the fiber, parked on
// a gate at the drop, runs on to its end once the gate opens, and is then gone.
TEST_P(SpawnTest, DroppedHandleDetaches) {
  goro::wait_group gate, finished;
  gate.add(1);
  finished.add(1);
  std::atomic<bool> ran_on{false};
  std::uint64_t id = 0;
  goro_test::bounded("dropping the handle", [&] {
    auto h = goro::spawn([&] {
      gate.wait();
      ran_on.store(true);
      finished.done();
    });
    id = h.id();
    goro_test::wait_until("the fiber parked on the gate", goro_test::parked(id, "wait_group wait"));
  });  // dropped here, unjoined: must not wait for the gate
  EXPECT_FALSE(ran_on.load());
  gate.done();
  goro_test::bounded("the detached fiber finished", [&] { finished.wait(); });
  EXPECT_TRUE(ran_on.load());
  goro_test::wait_until("the detached fiber ended", [] { return goro::live_fibers() == 0; });
}

TEST_P(SpawnTest, CustomStackSizeIsUsable) {
  // 512 KiB of locals on a 1 MiB stack.
  auto h = goro::spawn({.stack_size = 1 << 20}, [] {
    volatile char big[512 * 1024];
    for (std::size_t i = 0; i < sizeof big; i += 4096) big[i] = static_cast<char>(i);
    long s = 0;
    for (std::size_t i = 0; i < sizeof big; i += 4096) s += big[i];
    return s;
  });
  long expected = 0;
  for (std::size_t i = 0; i < 512 * 1024; i += 4096) expected += static_cast<char>(i);
  EXPECT_EQ(h.join(), expected);
}

// Every spawned fiber runs exactly once under stealing: each marks its own slot.
TEST_P(SpawnTest, EveryFiberRunsExactlyOnce) {
  const int n = static_cast<int>(goro_test::scaled(200'000));
  std::vector<std::atomic<int>> ran(n);
  goro::wait_group wg;
  wg.add(n);
  // Spawned from a few fibers so that local queues overflow and thieves take work.
  std::vector<goro::join_handle<void>> spawners;
  for (int s = 0; s < 4; ++s) {
    spawners.push_back(goro::spawn([&, s] {
      for (int i = s; i < n; i += 4) {
        goro::go([&, i] {
          ran[i].fetch_add(1, std::memory_order_relaxed);
          if (i % 7 == 0) goro::this_fiber::yield();
          wg.done();
        });
      }
    }));
  }
  for (auto& h : spawners) h.join();
  wg.wait();
  for (int i = 0; i < n; ++i) ASSERT_EQ(ran[i].load(), 1) << "fiber " << i;
}

// spawn_options::group: the group's wait() returns once every fiber is gone: its callable
// destroyed and the fiber no longer counted live (checked at once, with no waiting).
TEST_P(SpawnTest, GroupWaitReturnsOnceEveryFiberIsGone) {
  const auto before = goro::live_fibers();
  struct tracked {
    std::atomic<int>* alive;
    explicit tracked(std::atomic<int>* a) : alive(a) { alive->fetch_add(1); }
    tracked(const tracked& o) : alive(o.alive) { alive->fetch_add(1); }
    ~tracked() { alive->fetch_sub(1); }
  };
  std::atomic<int> alive{0}, ran{0};
  goro::wait_group group;
  constexpr int n = 200;
  group.add(n);
  {
    tracked t(&alive);
    for (int i = 0; i < n; ++i)
      goro::go({.group = &group}, [t, &ran] {
        goro::this_fiber::yield();
        ran.fetch_add(1);
      });
  }
  group.wait();
  EXPECT_EQ(ran.load(), n);
  EXPECT_EQ(alive.load(), 0);  // every callable (and its copy of t) destroyed
  EXPECT_EQ(goro::live_fibers(), before);
}

GORO_INSTANTIATE(SpawnTest, 1, 2, 4, 8);

}  // namespace
