// The watchdog (see watchdog.hpp).
// WD1: one sample request at a time: the watchdog thread is the only requester. It fills
//      `target` and then stores state = requested (release); the handler on the target
//      thread answers only a request addressed to its own thread id (acquire), fills the
//      sample and stores state = answered (release); the watchdog reads the sample after its
//      acquire load of answered, then stores state = idle.
#include "debug/watchdog.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <goro/detail/futex.hpp>

#include "debug/fatal.hpp"
#include "debug/unwind.hpp"
#include "scheduler.hpp"

namespace goro::detail {

namespace {

constexpr std::size_t max_frames = 48;

struct sample {
  enum : std::uint32_t { idle, requested, answered };
  std::atomic<std::uint32_t> state{idle};  // WD1; also the futex the watchdog waits on
  int target = 0;                          // thread id; written before `requested`
  std::uint64_t fiber_id = 0;              // written by the handler before `answered`
  std::uintptr_t pcs[max_frames] = {};
  std::size_t frames = 0;
};
sample g_sample;

void on_sigurg(int, siginfo_t*, void* uc) {
  const int saved = errno;
  if (g_sample.state.load(std::memory_order_acquire) == sample::requested &&
      g_sample.target == static_cast<int>(::gettid())) {
    machine* m = current_m();
    fiber* f = m ? m->current : nullptr;  // this thread's own: no race
    g_sample.fiber_id = f ? f->id : 0;
    g_sample.frames = f ? backtrace_of_signal(uc, g_sample.pcs, max_frames) : 0;
    g_sample.state.store(sample::answered, std::memory_order_release);
    futex_wake(g_sample.state);  // a system call: async-signal-safe
  }
  errno = saved;
}

// Written by watchdog_start/stop while the monitor is stopped, read by the monitor's thread
// (ordered by its start and join).
std::chrono::milliseconds threshold{0};
bool handler_installed = false;
std::atomic<std::uint64_t> reports{0};

// The thread's state letter in /proc (R: running, S/D: asleep in the kernel) and, when
// asleep, the number of the system call it sleeps in (-1 if unknown).
std::pair<char, long> thread_state(int tid) {
  char st = '?';
  long nr = -1;
  std::ifstream stat(fmt::format("/proc/self/task/{}/stat", tid));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  if (auto close = text.rfind(')'); close != std::string::npos && close + 2 < text.size())
    st = text[close + 2];  // "pid (comm) S ..."
  if (st == 'S' || st == 'D') {
    std::ifstream sc(fmt::format("/proc/self/task/{}/syscall", tid));
    std::string first;
    if (sc >> first && !first.empty() && std::isdigit(static_cast<unsigned char>(first[0])))
      nr = std::stol(first);
  }
  return {st, nr};
}

std::string frames_text(const std::uintptr_t* pcs, std::size_t n) {
  std::string out;
  auto frames = readable_backtrace(pcs, n);
  for (std::size_t i = 0; i < frames.size(); ++i)
    fmt::format_to(std::back_inserter(out), "  #{} {}\n", i, frames[i]);
  return out;
}

void report(const machine* m, const fiber* f, std::int64_t held_ns) {
  const int tid = m->tid.load(std::memory_order_relaxed);
  fiber_label l(f);  // f's id and name: published with watch (acquire)
  const long ms = static_cast<long>(held_ns / 1'000'000);
  auto [st, nr] = thread_state(tid);
  std::string text;
  if (nr >= 0) {
    text = fmt::format(
        "goro: watchdog: {} has been in system call {} for {} ms outside goro::blocking; its "
        "processor runs no other fiber meanwhile (wrap the call in goro::blocking)\n",
        l.text, nr, ms);
  } else {
    text = fmt::format(
        "goro: watchdog: {} has run for {} ms without a scheduling point; its processor runs "
        "no other fiber meanwhile\n",
        l.text, ms);
    if (handler_installed) {
      g_sample.target = tid;
      g_sample.state.store(sample::requested, std::memory_order_release);  // WD1
      ::syscall(SYS_tgkill, ::getpid(), tid, SIGURG);
      // The answer, or half a second (a thread that blocks SIGURG never answers).
      const std::int64_t deadline = monotonic_ns() + 500'000'000;
      while (g_sample.state.load(std::memory_order_acquire) == sample::requested &&
             monotonic_ns() < deadline)
        futex_wait(g_sample.state, sample::requested, deadline);
      if (g_sample.state.load(std::memory_order_acquire) == sample::answered &&
          g_sample.fiber_id == f->id)
        text += frames_text(g_sample.pcs, g_sample.frames);
      g_sample.state.store(sample::idle, std::memory_order_relaxed);
    }
  }
  write_stderr(text.data(), text.size());
  reports.fetch_add(1, std::memory_order_relaxed);
}

struct look {  // a machine, the fiber it runs (or none) and its switches so far
  const machine* m;
  fiber* f;
  std::uint64_t switches;
};
struct seen {  // the same look since `since`
  look at;
  std::int64_t since;
  bool reported;
};
std::vector<seen> last;      // the monitor's thread only
std::int64_t next_scan = 0;  // the monitor's thread only

std::int64_t tick_ns() {
  return std::chrono::nanoseconds(std::clamp(threshold / 4, std::chrono::milliseconds(5),
                                             std::chrono::milliseconds(250)))
      .count();
}

void scan() {
  std::vector<look> now_seen;
  {
    auto& s = sched();
    guard l(s.lock);  // all_ms only grows while the runtime runs
    for (const machine* m : s.all_ms)
      now_seen.push_back({m, m->watch.load(std::memory_order_acquire),  // see note_switch
                          m->switches.load(std::memory_order_relaxed)});
  }
  const std::int64_t t = monotonic_ns();
  for (const auto& x : now_seen) {
    auto it = std::find_if(last.begin(), last.end(), [&](auto& y) { return y.at.m == x.m; });
    if (it == last.end()) {
      last.push_back({x, t, false});
      continue;
    }
    if (!x.f || x.f != it->at.f || x.switches != it->at.switches) {
      *it = {x, t, false};
      continue;
    }
    if (!it->reported && t - it->since >= threshold.count() * 1'000'000) {
      it->reported = true;  // once per stretch
      report(x.m, x.f, t - it->since);
    }
  }
}

}  // namespace

void watchdog_start(std::chrono::milliseconds t) {
  threshold = t;
  last.clear();
  next_scan = 0;
  if (t.count() <= 0) return;
  (void)unwinder_available();  // loads libunwind now, not in the signal handler
  struct sigaction old {};
  handler_installed = false;
  if (::sigaction(SIGURG, nullptr, &old) == 0 && old.sa_handler == SIG_DFL &&
      !(old.sa_flags & SA_SIGINFO)) {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigurg;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    handler_installed = ::sigaction(SIGURG, &sa, nullptr) == 0;
  }
  watchdog_on.store(true, std::memory_order_relaxed);
}

void watchdog_stop() {
  if (threshold.count() <= 0) return;
  threshold = std::chrono::milliseconds(0);
  watchdog_on.store(false, std::memory_order_relaxed);
  if (handler_installed) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGURG, &dfl, nullptr);
    handler_installed = false;
  }
}

std::int64_t watchdog_poll(std::int64_t now) {
  if (threshold.count() <= 0) return no_deadline;
  if (now >= next_scan) {
    scan();
    next_scan = now + tick_ns();
  }
  return next_scan;
}

std::uint64_t watchdog_reports() noexcept { return reports.load(std::memory_order_relaxed); }

}  // namespace goro::detail
