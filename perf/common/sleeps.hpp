// perf/common/sleeps.hpp: the timers workload's sleep durations, shared by goro's program
// (Go's peer computes the same ones): task k sleeps splitmix64(k) mod 100,001 microseconds,
// 0 to 100 ms, the same pseudo-random sequence in every system. And the nearest-rank
// percentile both report.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace perf {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Task k's sleep, in microseconds (0..100,000).
inline std::int64_t sleep_us(std::int64_t k) {
  return static_cast<std::int64_t>(splitmix64(static_cast<std::uint64_t>(k)) % 100'001);
}

// The p-th percentile (nearest rank: the ceil(p/100 × n)-th smallest) of v; sorts v.
inline std::int64_t percentile(std::vector<std::int64_t>& v, double p) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

}  // namespace perf
