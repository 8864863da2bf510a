// Test support: waits that end in a failure with a dump instead of a hang (Go's test
// -timeout, which panics with every goroutine's stack).
//   bounded(what, fn)         runs fn (a join, a wait, a blocking call) and returns its result
//   wait_until(what, pred)    returns once pred() holds, checking it again and again
//   parked(id, reason)        a predicate: the fiber is parked with that wait reason
//   thread_asleep(tid)        a predicate: the OS thread sleeps in the kernel (a futex, poll)
// If fn has not returned, or pred does not hold, after bound() (60 s; 180 s in the sanitizer
// tier; long_bound for the scale tests' waits on millions of fibers), the test fails with `what`,
// every fiber (goro::list_fibers, formatted as goro::dump prints it) and each machine's state, and
// the process ends with status 1: the fibers still parked may point into the test's frame, so
// neither returning nor shutting the runtime down is safe. The bound is a safety net against hangs,
// never a speed verdict: a test asserts counts and states, and passes however slowly the machine
// runs. Safe from any fiber or thread, nested or concurrently: one watcher thread serves all, and
// arming it costs a lock and a map insertion (no wake-up): cheap enough for every round of
// a stress loop.
//
//   auto h = goro::spawn([&] { return server(); });
//   EXPECT_EQ(goro_test::bounded("the server returned", [&] { return h.join(); }), 7);
//   goro_test::wait_until("the reader is parked", goro_test::parked(r.id(), "io wait"));
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <sys/syscall.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <goro/debug.hpp>
#include <goro/runtime.hpp>
#include <goro/stats.hpp>
#include <goro/this_fiber.hpp>

namespace goro_test {

inline std::chrono::seconds bound() {
  const char* t = std::getenv("GORO_STRESS");
  return std::chrono::seconds(t && std::string_view(t) == "sanitizer" ? 180 : 60);
}

// For a wait on O(millions) of work (the scale tests): still under ctest's 240 s timeout.
inline constexpr std::chrono::seconds long_bound{200};

namespace detail {

// Every fiber (with backtraces while they are few: a walk costs a stack unwind each) and
// every machine, as text for the failure message.
inline std::string hang_report() {
  if (!goro::running()) return "(the runtime is not running)\n";
  const bool backtraces = goro::live_fibers() <= 1000;
  auto fibers = goro::list_fibers(backtraces);
  std::string out;
  if (fibers.size() > 200) {
    std::map<std::string, long> by_state;
    for (auto& f : fibers) ++by_state[f.state + " " + f.wait_reason];
    out += fmt::format("{} fibers; by state:\n", fibers.size());
    for (auto& [state, n] : by_state) out += fmt::format("  {:>8} {}\n", n, state);
    out += "the first 200:\n";
    fibers.resize(200);
  }
  out += goro::format_fibers(fibers);
  auto st = goro::stats();
  out += fmt::format("machines: {} ({} idle, {} spinning, {} blocking); idle processors: {}\n",
                     st.machines, st.idle_machines, st.spinning_machines, st.blocking_machines,
                     st.idle_processors);
  for (auto& m : st.machine_list)
    out += fmt::format("  M{} (tid {}) {}\n", m.id, m.tid, goro::to_string(m.state));
  for (auto& p : st.processors)
    out += fmt::format("  P{}: run queue {}, timers pending {}\n", p.id, p.run_queue,
                       p.timers_pending);
  return out;
}

// One thread watches every bounded wait in flight; it sleeps until the earliest bound.
class watcher {
 public:
  static watcher& instance() {
    static watcher* w = new watcher;  // never destroyed: waits may outlive main's statics
    return *w;
  }

  std::uint64_t arm(std::string what, std::chrono::seconds limit) {
    std::lock_guard l(mu_);
    const std::uint64_t id = ++next_;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    // The watcher wakes at least every min_limit: no notify needed for a deadline at least
    // that far away (the common case: a stress loop arms and disarms without a wake-up).
    watches_.emplace(id, watch{deadline, std::move(what), limit});
    if (limit < min_limit) cv_.notify_one();
    return id;
  }

  void disarm(std::uint64_t id) {
    std::lock_guard l(mu_);
    watches_.erase(id);
  }

 private:
  struct watch {
    std::chrono::steady_clock::time_point deadline;
    std::string what;
    std::chrono::seconds limit;
  };
  static constexpr std::chrono::seconds min_limit{60};

  watcher() {
    std::thread([this] { run(); }).detach();
  }

  [[noreturn]] void run() {
    std::unique_lock l(mu_);
    for (;;) {
      if (watches_.empty()) {
        cv_.wait_for(l, min_limit);
        continue;
      }
      auto first = std::min_element(watches_.begin(), watches_.end(), [](auto& a, auto& b) {
        return a.second.deadline < b.second.deadline;
      });
      const auto deadline = first->second.deadline;
      const auto now = std::chrono::steady_clock::now();
      if (now < deadline) {
        cv_.wait_until(l, std::min(deadline, now + min_limit));  // see arm()
        continue;
      }
      const std::string what = first->second.what;
      const auto limit = first->second.limit;
      l.unlock();
      fail(what, limit);
    }
  }

  [[noreturn]] static void fail(const std::string& what, std::chrono::seconds limit) {
    // Said first, in case the dump itself hangs.
    std::fprintf(stderr, "goro_test: %s: not done after %lld s; dumping every fiber\n",
                 what.c_str(), static_cast<long long>(limit.count()));
    std::string report = hang_report();
    ADD_FAILURE() << what << ": not done after " << limit.count()
                  << " s (a bound against hangs, not a speed limit). Every fiber:\n"
                  << report;
    std::fflush(nullptr);
    std::_Exit(1);
  }

  std::mutex mu_;  // never held across a scheduling point: safe in fibers
  std::condition_variable cv_;
  std::map<std::uint64_t, watch> watches_;  // guarded by mu_
  std::uint64_t next_ = 0;                  // guarded by mu_
};

}  // namespace detail

// Runs fn and returns its result; fails the test with a dump if fn has not returned after
// bound(). fn runs on the caller (fiber or thread), as if called directly.
template <class Fn>
decltype(auto) bounded(std::string_view what, Fn&& fn, std::chrono::seconds limit = bound()) {
  struct armed {
    std::uint64_t id;
    ~armed() { detail::watcher::instance().disarm(id); }
  } guard{detail::watcher::instance().arm(std::string(what), limit)};
  return std::forward<Fn>(fn)();
}

// Returns once pred() holds. Between checks the caller pauses (a fiber sleeps, so that its
// processor may go idle; a thread yields, then sleeps): only pred decides.
template <class Pred>
void wait_until(std::string_view what, Pred&& pred, std::chrono::seconds limit = bound()) {
  bounded(
      what,
      [&] {
        auto pause = std::chrono::microseconds(20);
        for (int checks = 0; !pred(); ++checks) {
          if (checks < 100 && !goro::this_fiber::id()) {
            std::this_thread::yield();
            continue;
          }
          goro::this_fiber::sleep_for(pause);
          pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(2));
        }
      },
      limit);
}

// A predicate for wait_until: fiber `id` is parked with wait reason `reason` ("io wait",
// "chan receive", "wait_group wait": see goro::fiber_info).
inline auto parked(std::uint64_t id, std::string_view reason) {
  return [id, reason = std::string(reason)] {
    for (auto& f : goro::list_fibers(false))
      if (f.id == id) return f.state == "parked" && f.wait_reason == reason;
    return false;
  };
}

// How many fibers are parked with wait reason `reason`.
inline long count_parked(std::string_view reason) {
  auto fibers = goro::list_fibers(false);
  return std::count_if(fibers.begin(), fibers.end(),
                       [&](auto& f) { return f.state == "parked" && f.wait_reason == reason; });
}

// The id of the fiber named `name` ("main" in goro::run), or 0.
inline std::uint64_t fiber_named(std::string_view name) {
  for (auto& f : goro::list_fibers(false))
    if (f.name == name) return f.id;
  return 0;
}

// A predicate for wait_until: OS thread `tid` (of this process) sleeps in the kernel in a
// wait (state S in /proc, and /proc's syscall file names a futex, poll or epoll wait), not
// running, not runnable, and not in a plain sleep such as the chaos build's short nanosleep
// at a seam, which would read as S too and end a moment later.
inline auto thread_asleep(int tid) {
  return [tid] {
    std::ifstream stat(fmt::format("/proc/self/task/{}/stat", tid));
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto paren = text.rfind(')');  // the name may hold spaces and parentheses
    if (paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'S')
      return false;
    std::ifstream syscall_file(fmt::format("/proc/self/task/{}/syscall", tid));
    long nr = -1;  // the file reads "running" (no number) unless the thread is in a syscall
    if (!(syscall_file >> nr)) return false;
    for (long wait :
         {SYS_futex, SYS_poll, SYS_ppoll, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2})
      if (nr == wait) return true;
    return false;
  };
}

// A thread's context switches so far, voluntary and not (/proc/self/task/<tid>/status).
inline long thread_switches(int tid) {
  std::ifstream status(fmt::format("/proc/self/task/{}/status", tid));
  long total = 0;
  for (std::string line; std::getline(status, line);) {
    for (std::string_view key : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"})
      if (line.starts_with(key)) total += std::strtol(line.c_str() + key.size(), nullptr, 10);
  }
  return total;
}

}  // namespace goro_test
