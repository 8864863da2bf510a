// Millions of parked fibers on a default kernel (vm.max_map_count 65530), then a clean
// shutdown. Bounds: resident memory per parked fiber, mappings (VMAs), and the pool
// unmapped at the end.
#include <atomic>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "goro_test.hpp"
#include "stack_pool.hpp"

namespace {

long vma_count() {
  std::ifstream maps("/proc/self/maps");
  long n = 0;
  for (std::string line; std::getline(maps, line);) ++n;
  return n;
}

long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

void park_many(long n, long max_rss_per_fiber) {
  goro::start({.procs = 2});
  long rss0 = rss_bytes();
  long vma0 = vma_count();
  goro::wait_group gate, parked, finished;
  gate.add(1);
  parked.add(n);
  finished.add(n);
  std::atomic<long> passed{0};
  for (long i = 0; i < n; ++i)
    goro::go([&] {
      parked.done();
      gate.wait();
      passed.fetch_add(1, std::memory_order_relaxed);
      finished.done();
    });
  goro_test::bounded(
      "every fiber started", [&] { parked.wait(); }, goro_test::long_bound);
  long per_fiber = (rss_bytes() - rss0) / n;
  long vmas = vma_count() - vma0;
  ::testing::Test::RecordProperty("rss_per_fiber", std::to_string(per_fiber));
  std::printf("%ld parked fibers: %ld bytes RSS each, %ld new VMAs\n", n, per_fiber, vmas);
  EXPECT_LE(per_fiber, max_rss_per_fiber);
  EXPECT_LT(vmas, 65530 - vma0) << "must fit the default vm.max_map_count";
  EXPECT_EQ(passed.load(), 0);
  gate.done();
  goro_test::bounded(
      "every fiber passed the gate", [&] { finished.wait(); }, goro_test::long_bound);
  EXPECT_EQ(passed.load(), n);
  goro_test::bounded(
      "shutdown", [] { goro::shutdown(); }, goro_test::long_bound);
  EXPECT_EQ(goro::live_fibers(), 0);
  EXPECT_EQ(goro::detail::stack_pool::instance().mapped_bytes(), 0u) << "pool not unmapped";
}

TEST(ScaleTest, TwoMillionParkedFibersThenCleanShutdown) {
  // Sanitizers shadow every page: 100k there.
  park_many(goro_test::sanitizer_tier() ? 100'000 : 2'000'000,
            goro_test::sanitizer_tier() ? 64 * 1024 : 8 * 1024);
}

// n fibers, each parked on one gate (started and counted when the constructor returns) until
// release(), which returns once every one has passed it.
class gated_fibers {
 public:
  explicit gated_fibers(long n) {
    gate_.add(1);
    parked_.add(n);
    finished_.add(n);
    for (long i = 0; i < n; ++i)
      goro::go([this] {
        parked_.done();
        gate_.wait();
        finished_.done();
      });
    goro_test::bounded("every fiber started", [this] { parked_.wait(); });
  }
  void release() {
    gate_.done();
    goro_test::bounded("every fiber passed the gate", [this] { finished_.wait(); });
  }

 private:
  goro::wait_group gate_, parked_, finished_;
};

// Fresh stacks get their guards in batches: a thousand fresh stacks cost a system call per
// 64 (plus one per slab begun), not one each (stack_pool.hpp K1). Where the kernel cannot
// batch them (before 6.14), one each.
TEST(ScaleTest, FreshStacksGetTheirGuardsInBatches) {
  const long n = 1000;
  goro::start({.procs = 2});
  auto& pool = goro::detail::stack_pool::instance();
  const std::size_t calls0 = pool.guard_calls();
  gated_fibers fibers(n);
  const std::size_t calls = pool.guard_calls() - calls0;
  if (pool.batch_guard_install())
    EXPECT_LE(calls, static_cast<std::size_t>(n / 64 + 3)) << "guards installed one by one";
  else
    EXPECT_LE(calls, static_cast<std::size_t>(n + 3));
  fibers.release();
  goro_test::bounded("shutdown", [] { goro::shutdown(); });
}

long minor_faults() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// A spawn that reuses a stack touches no new page and makes no guard call: after a warm-up
// round, 100 rounds of 1000 spawns and joins (100,000 fibers) fault fewer than 64 pages in
// all (the allowance is for whatever else the process does meanwhile) and install no guard.
// One processor: with two, the stacks a round frees land in either processor's cache, and
// a later round may find its own short and carve a few more.
TEST(ScaleTest, WarmSpawnsCostNoFaultAndNoGuardCall) {
  goro::start({.procs = 1});
  auto& pool = goro::detail::stack_pool::instance();
  long faults = 0;
  std::size_t calls = 0;
  goro::spawn([&] {
    std::vector<goro::join_handle<void>> hs(1000);
    auto round = [&] {
      for (auto& h : hs) h = goro::spawn([] { goro::this_fiber::yield(); });
      for (auto& h : hs) h.join();
    };
    for (int r = 0; r < 3; ++r) round();  // every processor's cache warmed
    const long faults0 = minor_faults();
    const std::size_t calls0 = pool.guard_calls();
    for (int r = 0; r < 100; ++r) round();
    faults = minor_faults() - faults0;
    calls = pool.guard_calls() - calls0;
  }).join();
  EXPECT_LT(faults, 64) << "page faults in 100,000 warm spawns";
  EXPECT_EQ(calls, 0u) << "guard installations in 100,000 warm spawns";
  goro_test::bounded("shutdown", [] { goro::shutdown(); });
}

// After a burst, the stacks nobody takes again give their pages back (stack_pool.hpp K4):
// 20,000 fibers park, end, and the runtime goes idle; within two scavenge periods all but a
// reserve of the free stacks are returned and RSS falls by at least half a page for each.
// Before scavenging existed, a burst's RSS stayed for the life of the process.
TEST(ScaleTest, IdleStacksGiveTheirPagesBack) {
  const long n = 20'000;
  goro::start({.procs = 2});
  auto& pool = goro::detail::stack_pool::instance();
  const std::size_t before = pool.scavenged();
  long peak = 0;
  {
    gated_fibers fibers(n);
    peak = rss_bytes();
    fibers.release();
  }
  // All but the reserve (scavenge_keep) and the processors' caches (64 each).
  const std::size_t want = static_cast<std::size_t>(n) - goro::detail::stack_pool::scavenge_keep -
                           2 * goro::detail::stack_cache::capacity;
  goro_test::wait_until("the idle stacks scavenged",
                        [&] { return pool.scavenged() - before >= want; });
  EXPECT_GE(peak - rss_bytes(), static_cast<long>(want) * 2048) << "RSS did not fall";
  goro_test::bounded("shutdown", [] { goro::shutdown(); });
}

// The fallback for kernels without MADV_GUARD_INSTALL: mprotect guards up to the budget,
// canaries beyond it; the VMA budget is never exceeded.
TEST(ScaleTest, MprotectFallbackStaysWithinItsVmaBudget) {
  const long budget = 2000, n = goro_test::sanitizer_tier() ? 5000 : 20'000;
  goro::start({.procs = 2,
               .guard = goro::stack_guard::mprotect,
               .mprotect_guard_budget = static_cast<std::size_t>(budget)});
  long vma0 = vma_count();
  gated_fibers fibers(n);
  EXPECT_EQ(goro::detail::stack_pool::instance().mprotect_guards(),
            static_cast<std::size_t>(budget));
  EXPECT_LE(vma_count() - vma0, 2 * budget + 50);
  fibers.release();
  goro_test::bounded("shutdown", [] { goro::shutdown(); });
  EXPECT_EQ(goro::live_fibers(), 0);
}

}  // namespace
