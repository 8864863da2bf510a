// The chaos build's seam delays (see chaos.hpp). Compiled in every build (the names are
// used by tests), acting only where GORO_CHAOS_POINT is compiled in.
#include "chaos.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <goro/detail/futex.hpp>

#include "debug/fatal.hpp"

namespace goro::detail::chaos {

namespace {

constexpr const char* names[] = {"netpoll_unblock", "ready_thread",    "hand_off",
                                 "start_machine",   "sleep_machine",   "timer_fire",
                                 "chan_close",      "wait_group_zero", "select_win"};
static_assert(sizeof names / sizeof names[0] == static_cast<std::size_t>(site::count));

struct config {
  std::uint64_t seed = 0;
  std::uint32_t rate = 8;
  std::uint32_t sites = ~0u;  // bit i: site i acts
};

std::uint64_t mix(std::uint64_t z) {  // splitmix64's finalizer
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

config read_config() {
  config c;
  if (const char* s = std::getenv("GORO_CHAOS_SEED"); s && *s) {
    c.seed = std::strtoull(s, nullptr, 10);
  } else {
    c.seed =
        mix(static_cast<std::uint64_t>(monotonic_ns()) ^ static_cast<std::uint64_t>(::getpid()));
    c.seed %= 1'000'000'000;
    auto line =
        fmt::format("goro: chaos: seed {} (GORO_CHAOS_SEED={} replays it)\n", c.seed, c.seed);
    write_stderr(line.data(), line.size());
  }
  if (const char* r = std::getenv("GORO_CHAOS_RATE"); r && *r)
    c.rate = static_cast<std::uint32_t>(std::max(1ul, std::strtoul(r, nullptr, 10)));
  if (const char* list = std::getenv("GORO_CHAOS_SITES"); list && *list) {
    c.sites = 0;
    std::string_view rest(list);
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto name = rest.substr(0, comma);
      for (std::size_t i = 0; i < std::size(names); ++i)
        if (name == names[i]) c.sites |= 1u << i;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return c;
}

const config& cfg() {
  static const config c = read_config();  // thread-safe static init
  return c;
}

std::atomic<std::uint64_t> next_stream{0};  // relaxed: only distinct numbers are needed

}  // namespace

const char* site_name(site s) noexcept {
  auto i = static_cast<std::size_t>(s);
  return i < std::size(names) ? names[i] : "?";
}

void point(site s) noexcept {
  const config& c = cfg();
  if (!(c.sites & (1u << static_cast<unsigned>(s)))) return;
  // The runtime's per-thread state: a plain thread_local is fine here (no fiber code reads
  // it across a switch: the point runs and returns on one thread).
  thread_local std::uint64_t x = 0;
  if (x == 0)
    x = mix(c.seed +
            0x9E3779B97F4A7C15ULL * (next_stream.fetch_add(1, std::memory_order_relaxed) + 1)) |
        1;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  const std::uint64_t r = x;
  if (r % c.rate != 0) return;
  switch ((r >> 16) % 4) {
    case 0:  // a short spin: another thread runs through its half of the seam meanwhile
      for (std::uint64_t i = 0, n = (r >> 24) % 20'000; i < n; ++i) __builtin_ia32_pause();
      break;
    case 1:
    case 2:
      ::sched_yield();
      break;
    case 3: {  // preempted: up to 2 ms asleep
      timespec ts{0, static_cast<long>((r >> 24) % 2'000'000)};
      ::nanosleep(&ts, nullptr);
      break;
    }
  }
}

}  // namespace goro::detail::chaos
