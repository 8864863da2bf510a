// Dumps name each code address once: list_fibers() and dump() symbolize through a cache,
// so a dump of many fibers parked in one place does a few lookups, not one per frame of
// every fiber. A lookup (libunwind's unw_get_proc_name) reads /proc/self/maps and maps the
// program's ELF file: done per frame, it made a SIGQUIT dump of 200,000 parked fibers take
// minutes. The verdicts count lookups (detail::symbol_lookups()), never time.
#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include <gmock/gmock.h>

#include <goro/debug.hpp>
#include <goro/goro.hpp>
#include <goro/stats.hpp>

#include "debug/unwind.hpp"
#include "goro_test.hpp"

namespace {

using ::testing::HasSubstr;
using SymbolCacheTest = goro_test::RuntimeTest;

constexpr int parked_fibers = 300;
// One fiber's walk (at most 64 frames) and its spawn site: what a dump of fibers parked in
// one place, spawned from one place, may look up.
constexpr std::uint64_t one_place = 64 + 1;

[[gnu::noinline]] void wait_for_work(goro::chan<int> work) {
  work.recv();
  std::fflush(stdout);  // after the receive: not a tail call
}

// Spawns `parked_fibers` fibers, all parked in wait_for_work, and returns once every one is
// parked (stats() counts states only: it looks nothing up).
std::vector<goro::join_handle<void>> park_workers(goro::chan<int> work) {
  std::vector<goro::join_handle<void>> workers;
  for (int i = 0; i < parked_fibers; ++i)
    workers.push_back(goro::spawn({.name = "worker"}, [work] { wait_for_work(work); }));
  while (goro::stats().fibers_parked < parked_fibers) std::this_thread::yield();
  return workers;
}

TEST_P(SymbolCacheTest, ListOfFibersParkedInOnePlaceLooksUpEachAddressOnce) {
  goro::chan<int> work(0);
  auto workers = park_workers(work);

  const auto before = goro::detail::symbol_lookups();
  auto fs = goro::list_fibers(true);
  const auto lookups = goro::detail::symbol_lookups() - before;

  ASSERT_EQ(fs.size(), static_cast<std::size_t>(parked_fibers));
  for (auto& f : fs) {  // every fiber still named in full, from the cache
    EXPECT_THAT(f.spawned_at, HasSubstr("park_workers"));
    EXPECT_TRUE(std::any_of(f.backtrace.begin(), f.backtrace.end(), [](auto& frame) {
      return frame.find("wait_for_work") != frame.npos;
    })) << goro::format_fibers({f});
  }
  EXPECT_GT(lookups, 0u);
  EXPECT_LE(lookups, one_place) << "symbol lookups for " << parked_fibers
                                << " fibers parked in one place";
  work.close();
  for (auto& w : workers) w.join();
}

TEST_P(SymbolCacheTest, DumpOfFibersParkedInOnePlaceLooksUpEachAddressOnce) {
  goro::chan<int> work(0);
  auto workers = park_workers(work);
  std::FILE* devnull = std::fopen("/dev/null", "w");
  ASSERT_NE(devnull, nullptr);

  const auto before = goro::detail::symbol_lookups();
  goro::dump(devnull);
  const auto lookups = goro::detail::symbol_lookups() - before;

  std::fclose(devnull);
  EXPECT_GT(lookups, 0u);
  EXPECT_LE(lookups, one_place) << "symbol lookups for " << parked_fibers
                                << " fibers parked in one place";
  work.close();
  for (auto& w : workers) w.join();
}

// The walk steps through an unwind_cache: each procedure's rules are read once, not found
// again (dl_iterate_phdr, a search of .eh_frame_hdr, its CFI run) at every frame.
TEST_P(SymbolCacheTest, WalkOfFibersParkedInOnePlaceReadsEachProcedureOnce) {
  goro::chan<int> work(0);
  auto workers = park_workers(work);

  const auto before = goro::detail::unwind_lookups();
  auto fs = goro::list_fibers(true);
  const auto lookups = goro::detail::unwind_lookups() - before;

  ASSERT_EQ(fs.size(), static_cast<std::size_t>(parked_fibers));
  EXPECT_GT(lookups, 0u);
  EXPECT_LE(lookups, one_place) << "unwind-rule lookups for " << parked_fibers
                                << " fibers parked in one place";
  work.close();
  for (auto& w : workers) w.join();
}

GORO_INSTANTIATE(SymbolCacheTest, 1, 2);

}  // namespace
