// memory (floor): what N fibers' first stack pages cost this machine without any runtime,
// the floor under the figures that create a million fibers (cold spawn, timers' CPU).
// Maps N stack-sized slots (64 KiB, MAP_NORESERVE, as the stack pool does) and measures:
//   fault:     a write to the top page of each slot, as a cold spawn's first frame (one
//              page fault each: the kernel allocates and zeroes a page);
//   populate:  as many pages populated by one MADV_POPULATE_WRITE over a fresh contiguous
//              range (no fault taken: the kernel's own cost of a page, the least any
//              batching of the faults could reach).
// --help: floor_memory [--n N=1000000]
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <sys/mman.h>

#include "bench.hpp"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace {

constexpr std::size_t page = 4096;
constexpr std::size_t slot = 64 * 1024;

char* map_or_exit(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  return static_cast<char*>(p);
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = perf::parse_or_exit(argc, argv, 1'000'000);
  const auto n = static_cast<std::size_t>(args.n);

  char* slots = map_or_exit(n * slot);
  auto t0 = perf::clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    volatile char* top = slots + (i + 1) * slot - 64;  // where a new fiber's first frame goes
    *top = 1;
  }
  auto t1 = perf::clock::now();
  perf::print_metric("fault", perf::ns_between(t0, t1) / double(n), "ns/page");
  ::munmap(slots, n * slot);

  char* range = map_or_exit(n * page);
  t0 = perf::clock::now();
  if (::madvise(range, n * page, MADV_POPULATE_WRITE) != 0) {
    std::perror("madvise(MADV_POPULATE_WRITE)");
    return 1;
  }
  t1 = perf::clock::now();
  perf::print_metric("populate", perf::ns_between(t0, t1) / double(n), "ns/page");
  ::munmap(range, n * page);
}
