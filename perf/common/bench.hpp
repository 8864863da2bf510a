// perf/common/bench.hpp: what every C++ program of the performance suite shares (goro, and
// the Boost.Fiber and std::thread peers): the command line, a clock, the process's RSS, and
// the one output line perf/run.py parses:
//   metric=<name> value=<number> unit=<unit>
// The network workloads' servers (echo, http) also share the hand-shake with the runner:
// they print `port=<port>` once listening on 127.0.0.1, and stop when their stdin ends.
// Not goro code: it depends on nothing but the standard library and Linux's /proc.
#pragma once
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

namespace perf {

struct args {
  std::int64_t n = 0;            // size of the workload (--n)
  int procs = 0;                 // processors / worker threads (--procs); 0: the system's default
  std::int64_t duration_ms = 0;  // --duration-ms: how long a timed workload runs (idle, echo)
  int port = 0;                  // --port: the server a load client connects to (127.0.0.1)
};

// Parses `--n N --procs P` (or `--n=N`), and `--duration-ms D`, `--port P` for the programs
// that use them; a bad flag prints usage to stderr and exits 2.
inline args parse_or_exit(int argc, char** argv, std::int64_t default_n,
                          std::int64_t default_duration_ms = 0) {
  args a{default_n, 0, default_duration_ms, 0};
  auto usage = [&] {
    std::fprintf(stderr, "usage: %s [--n N=%lld] [--procs P]%s\n", argv[0],
                 static_cast<long long>(default_n),
                 default_duration_ms ? " [--duration-ms D] [--port P]" : "");
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    std::string value;
    if (auto eq = flag.find('='); eq != std::string_view::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      usage();
    }
    char* end = nullptr;
    long long v = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || v < 0) usage();
    if (flag == "--n" || flag == "-n") {
      a.n = v;
    } else if (flag == "--procs" || flag == "-procs") {
      a.procs = static_cast<int>(v);
    } else if (flag == "--duration-ms" || flag == "-duration-ms") {
      a.duration_ms = v;
    } else if (flag == "--port" || flag == "-port") {
      a.port = static_cast<int>(v);
    } else {
      usage();
    }
  }
  if (a.n < 1) usage();
  return a;
}

// skynet's tree needs a power of ten leaves.
inline void require_power_of_ten(std::int64_t n) {
  std::int64_t p = 1;
  while (p < n) p *= 10;
  if (p != n) {
    std::fprintf(stderr, "--n must be a power of ten, got %lld\n", static_cast<long long>(n));
    std::exit(2);
  }
}

using clock = std::chrono::steady_clock;

inline double ns_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

// The start of a two-party measurement (yield): the clock starts once both parties run, so
// that neither measures its operation alone (a yield with nobody to switch to costs a few
// ns, and how many a party does before the other starts depends on scheduling). Each party
// calls arrive(yield) first; the first to arrive yields until the second does, and the
// second reads the clock. `start` is read after both are joined (the join orders it).
struct pair_start {
  std::atomic<int> arrived{0};
  clock::time_point start{};
  template <class Yield>
  void arrive(Yield yield) {
    if (arrived.fetch_add(1) == 1) {
      start = clock::now();
      return;
    }
    while (arrived.load() < 2) yield();
  }
};

inline void print_metric(const char* name, double value, const char* unit) {
  std::printf("metric=%s value=%.6g unit=%s\n", name, value, unit);
  std::fflush(stdout);
}

// A wrong result: say so and exit 1 (the runner records the run as failed).
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wrong result: %s\n", what);
    std::exit(1);
  }
}

// Resident set size now, in bytes (/proc/self/statm, second field).
inline std::int64_t rss_bytes() {
  long long size = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%lld %lld", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

// Peak resident set size so far, in bytes (VmHWM in /proc/self/status).
inline std::int64_t peak_rss_bytes() {
  long long kib = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::atoll(line + 6);
    }
    std::fclose(f);
  }
  return kib * 1024;
}

// CPU seconds the whole process used so far, user + system (getrusage(RUSAGE_SELF)).
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// Context switches (voluntary + involuntary) of all the process's threads so far: each time
// a thread blocks or is preempted (/proc/self/task/*/status). A thread that has exited is no
// longer counted: compare two samples only across a window in which no thread exits.
inline std::int64_t context_switches() {
  std::int64_t total = 0;
  DIR* d = opendir("/proc/self/task");
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string path = std::string("/proc/self/task/") + e->d_name + "/status";
    if (FILE* f = std::fopen(path.c_str(), "r")) {
      char line[256];
      while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, "voluntary_ctxt_switches:", 24) == 0) total += std::atoll(line + 24);
        if (std::strncmp(line, "nonvoluntary_ctxt_switches:", 27) == 0)
          total += std::atoll(line + 27);
      }
      std::fclose(f);
    }
  }
  closedir(d);
  return total;
}

// A server's hand-shake with the runner: tells it the port it listens on (127.0.0.1).
inline void announce_port(int port) {
  std::printf("port=%d\n", port);
  std::fflush(stdout);
}

// Blocks the calling thread until the runner closes our stdin (end of file): time to stop.
inline void wait_for_stdin_eof() {
  char buf[256];
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r == 0 || (r < 0 && errno != EINTR)) return;
  }
}

}  // namespace perf
