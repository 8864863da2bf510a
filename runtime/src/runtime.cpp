// The runtime's lifecycle (start, shutdown, implicit start) and its statistics.
#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string_view>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include <goro/debug.hpp>
#include <goro/detail/futex.hpp>
#include <goro/error.hpp>
#include <goro/runtime.hpp>
#include <goro/stats.hpp>
#include <goro/testing.hpp>

#include "debug/signals.hpp"
#include "debug/watchdog.hpp"
#include "deterministic/mode.hpp"
#include "monitor.hpp"
#include "net/netpoll.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro {

using namespace goro::detail;

namespace {

checked_mutex lifecycle;              // serializes start and shutdown
std::atomic<bool> is_running{false};  // release in start, acquire in ensure_started
// Counters of processors from earlier runs (folded in at shutdown).
std::int64_t retired_spawns GORO_GUARDED_BY(lifecycle) = 0;
std::int64_t retired_exits GORO_GUARDED_BY(lifecycle) = 0;

// An environment override: the variable's value, or nullptr when it is unset or empty.
const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// A number in [lo, hi] from the environment, else dflt; anything else is an option_error.
long env_number(const char* name, long dflt, long lo, long hi, const char* want) {
  const char* v = env(name);
  if (!v) return dflt;
  long n = 0;
  auto [end, ec] = std::from_chars(v, v + std::strlen(v), n);
  if (ec != std::errc() || *end != '\0' || n < lo || n > hi)
    throw option_error(fmt::format("goro: {}={}: want {}", name, v, want));
  return n;
}

// One of the named values from the environment, else dflt.
template <class T>
T env_choice(const char* name, T dflt, std::initializer_list<std::pair<std::string_view, T>> values,
             const char* want) {
  const char* v = env(name);
  if (!v) return dflt;
  for (const auto& [text, value] : values)
    if (text == v) return value;
  throw option_error(fmt::format("goro: {}={}: want {}", name, v, want));
}

// GORO_PROCS=0 means the default (one processor per hardware thread), as GOMAXPROCS=0 does.
int procs_from_env() {
  return static_cast<int>(
      env_number("GORO_PROCS", 0, 0, 1024, "0 (one per hardware thread) or a number in 1..1024"));
}

stack_guard guard_from_env(stack_guard dflt) {
  return env_choice("GORO_STACK_GUARD", dflt,
                    {{"auto", stack_guard::automatic}, {"mprotect", stack_guard::mprotect}},
                    "auto or mprotect");
}

sigquit_action sigquit_from_env(sigquit_action dflt) {
  return env_choice("GORO_SIGQUIT", dflt,
                    {{"exit", sigquit_action::dump_and_exit},
                     {"dump", sigquit_action::dump},
                     {"off", sigquit_action::none}},
                    "exit, dump or off");
}

bool report_leaks_from_env(bool dflt) {
  return env_choice("GORO_REPORT_LEAKS", dflt, {{"1", true}, {"0", false}}, "0 or 1");
}

std::chrono::milliseconds watchdog_from_env(std::chrono::milliseconds dflt) {
  return std::chrono::milliseconds(
      env_number("GORO_WATCHDOG", dflt.count(), 0, 3'600'000, "milliseconds, 0..3600000"));
}

bool report_leaks GORO_GUARDED_BY(lifecycle) = false;

// GORO_TRACE=<file> overrides options::trace_path; empty: the option.
const char* trace_path_from_env(const char* dflt) {
  const char* v = env("GORO_TRACE");
  return v ? v : dflt;
}

void shutdown_at_exit() { shutdown(); }

// The deterministic mode of goro::testing, or none.
struct test_mode {
  bool deterministic = false;
  bool migrate = false;
};

void start_locked(const options& opts, test_mode mode = {}) GORO_REQUIRES(lifecycle) {
  if (opts.procs < 0 || opts.procs > 1024)
    throw option_error(
        fmt::format("goro: options.procs={}: want 0 (default) or 1..1024", opts.procs));
  if (opts.stack_size > (std::size_t{1} << 30))
    throw option_error(fmt::format("goro: options.stack_size={}: at most 1 GiB", opts.stack_size));
  int n = opts.procs ? opts.procs : procs_from_env();
  if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto quit = sigquit_from_env(opts.sigquit);
  report_leaks = report_leaks_from_env(opts.report_leaks);
  if (opts.max_threads < n || opts.max_threads > 1'000'000)
    throw option_error(fmt::format(
        "goro: options.max_threads={}: want {}..1000000 (at least one thread per processor)",
        opts.max_threads, n));
  if (opts.thread_idle_timeout < std::chrono::milliseconds(1))
    throw option_error(fmt::format("goro: options.thread_idle_timeout={} ms: want 1 ms or more",
                                   opts.thread_idle_timeout.count()));
  const auto watchdog = watchdog_from_env(opts.watchdog);
  if (watchdog.count() < 0)
    throw option_error(
        fmt::format("goro: options.watchdog={} ms: want 0 (off) or more", watchdog.count()));
  stack_pool::instance().configure(opts.stack_size, guard_from_env(opts.guard),
                                   opts.mprotect_guard_budget);
  install_overflow_handler();
  trace_start_from_options(trace_path_from_env(opts.trace_path));  // option_error if unwritable

  // V1 (deterministic/mode.hpp): before any machine of this runtime exists.
  deterministic_mode.store(mode.deterministic, std::memory_order_relaxed);
  migrate_mode.store(mode.migrate, std::memory_order_relaxed);
  virtual_now.store(monotonic_ns(), std::memory_order_relaxed);  // the virtual clock starts now
  auto& s = sched();
  guard g(s.lock);
  s.stopping.store(false, std::memory_order_relaxed);
  s.nprocs = n;
  s.max_threads = opts.max_threads;
  s.machine_idle_timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(opts.thread_idle_timeout).count();
  s.seed = opts.seed ? opts.seed : seed_for(static_cast<std::uint64_t>(monotonic_ns()), 0);
  for (int i = 0; i < n; ++i) {
    auto* p = new processor;
    p->id = i;
    p->rng = seed_for(s.seed, static_cast<std::uint64_t>(i));
    p->deterministic = mode.deterministic;
    p->runq.set_alone(n == 1);  // Q5 in run_queue.hpp: one processor, no thief
    p->pick_rng = seed_for(s.seed, 0x200 + static_cast<std::uint64_t>(i));
    trace_attach(p);
    s.ps.push_back(p);
  }
  for (int i = n - 1; i >= 0; --i) {  // P0 first out of the idle list
    s.ps[i]->idle_link = s.pidle;
    s.pidle = s.ps[i];
  }
  s.npidle.store(n, std::memory_order_seq_cst);
  static bool registered = (std::atexit(shutdown_at_exit), true);
  (void)registered;
  sigquit_start(quit);
  watchdog_start(watchdog);  // before the monitor, which runs its scans
  monitor_start();
  is_running.store(true, std::memory_order_release);
}

}  // namespace

namespace detail {
void ensure_started() {
  if (is_running.load(std::memory_order_acquire)) return;
  guard g(lifecycle);
  if (!is_running.load(std::memory_order_relaxed)) start_locked({});
}
}  // namespace detail

void start(const options& opts) {
  guard g(lifecycle);
  if (is_running.load(std::memory_order_relaxed))
    throw runtime_error("goro: start: the runtime is already running");
  start_locked(opts);
}

namespace detail {
void start_deterministic(const testing::options& t) {
  if (t.seed == 0)
    throw option_error("goro::testing: options.seed=0: want a nonzero seed (one seed, one run)");
  guard g(lifecycle);
  if (is_running.load(std::memory_order_relaxed))
    throw runtime_error("goro::testing: the runtime is already running (shut it down first)");
  options opts;
  opts.procs = 1;
  opts.seed = t.seed;
  opts.stack_size = t.stack_size;
  start_locked(opts, {.deterministic = true, .migrate = t.migrate});
}
}  // namespace detail

void shutdown() {
  if (current_fiber() || (current_m() && current_m()->blocked))
    throw runtime_error("goro: shutdown called from a fiber");
  guard g(lifecycle);
  if (!is_running.load(std::memory_order_relaxed)) return;
  if (report_leaks) {
    // Before the machines stop: the fibers still alive will be abandoned.
    auto left = leaked_fibers();
    if (!left.empty()) {
      std::string text =
          fmt::format("goro: {} fibers still alive at shutdown (leaked):\n\n", left.size());
      text += format_fibers(left);
      std::fwrite(text.data(), 1, text.size(), stderr);
      std::fflush(stderr);
    }
  }
  sigquit_stop();
  monitor_stop();  // before the machines go: it reads them
  watchdog_stop();
  auto& s = sched();
  s.stopping.store(true, std::memory_order_seq_cst);
  // Machines see `stopping` at their next scheduling decision; idle ones are woken. Keep
  // joining until no new machine appeared (start_machine creates none once stopping).
  std::size_t joined = 0;
  for (;;) {
    wake_all_idle_machines();
    machine* m = nullptr;
    {
      guard l(s.lock);
      if (joined < s.all_ms.size()) m = s.all_ms[joined];
    }
    if (!m) break;
    if (m->thread.joinable()) m->thread.join();  // retired ones were joined by the monitor
    ++joined;
  }
  trace_at_shutdown();        // GORO_TRACE: the machines are stopped, the rings complete
  netpoll_abandon_waiters();  // N7 (netpoll.hpp): no machine runs; the parked fibers are leaked
  guard l(s.lock);
  for (auto* p : s.ps) {
    retired_spawns += static_cast<std::int64_t>(p->spawns.get());
    retired_exits += static_cast<std::int64_t>(p->exits.get());
    stack_pool::instance().drain(p->stacks);
    delete p;
  }
  for (auto* m : s.all_ms) delete m;
  s.ps.clear();
  s.all_ms.clear();
  s.mdead.clear();
  s.pidle = nullptr;
  s.midle = nullptr;
  s.npidle.store(0);
  s.nmidle.store(0);
  s.nmspinning.store(0);
  s.timed_waiter = nullptr;
  s.timed_deadline.store(no_deadline);
  s.nprocs = 0;
  // Fibers left in the global queue are abandoned with their stacks.
  s.gq.clear();
  // K3: unmap the stacks only if none is in use, counting those of ended fibers that a
  // join_handle still holds: it may be joined or dropped after shutdown. F5: fibers left
  // unfinished are abandoned; joining one throws.
  if (retired_spawns - retired_exits + thread_fiber_balance() != 0) {
    abandon_unfinished_fibers();
  } else if (!any_fiber_block_live()) {
    stack_pool::instance().trim();
  }
  deterministic_mode.store(false, std::memory_order_relaxed);  // V1: every machine joined
  migrate_mode.store(false, std::memory_order_relaxed);
  is_running.store(false, std::memory_order_release);
}

bool running() noexcept { return is_running.load(std::memory_order_acquire); }

int procs() {
  ensure_started();
  guard l(sched().lock);
  return sched().nprocs;
}

std::int64_t live_fibers() noexcept {
  guard g(lifecycle);
  std::int64_t n = retired_spawns - retired_exits + thread_fiber_balance();
  guard l(sched().lock);
  for (auto* p : sched().ps)
    n += static_cast<std::int64_t>(p->spawns.get()) - static_cast<std::int64_t>(p->exits.get());
  return n;
}

const char* to_string(machine_state s) noexcept {
  switch (s) {
    case machine_state::running:
      return "running";
    case machine_state::spinning:
      return "spinning";
    case machine_state::blocking:
      return "blocking";
    case machine_state::idle:
      return "idle";
    case machine_state::polling:
      return "polling";
  }
  return "?";
}

runtime_stats stats() {
  runtime_stats r;
  auto& s = sched();
  {
    guard l(s.lock);
    for (auto* p : s.ps) {
      processor_stats ps;
      ps.id = p->id;
      ps.spawns = p->spawns.get();
      ps.runs = p->runs.get();
      ps.parks = p->parks.get();
      ps.steals = p->steals.get();
      ps.stolen = p->stolen.get();
      ps.timers_fired = p->timers_fired.get();
      ps.timers_pending = p->timers.size();
      ps.run_queue = p->runq.size() + (p->runnext.load(std::memory_order_relaxed) ? 1 : 0);
      r.processors.push_back(ps);
    }
    r.machines = live_machines_locked(s);
    std::vector<std::size_t> at(s.all_ms.size(), SIZE_MAX);  // machine id -> list index
    for (machine* m : s.all_ms) {
      if (std::find(s.mdead.begin(), s.mdead.end(), m) != s.mdead.end()) continue;  // R5
      at[static_cast<std::size_t>(m->id)] = r.machine_list.size();
      machine_stats ms;
      ms.id = m->id;
      ms.tid = m->tid.load(std::memory_order_relaxed);
      ms.state = m->spinning ? machine_state::spinning : machine_state::running;
      if (m->in_blocking) ms.state = machine_state::blocking;
      r.machine_list.push_back(ms);
    }
    for (machine* m = s.midle; m; m = m->idle_link)  // the idle list: lock held
      r.machine_list[at[static_cast<std::size_t>(m->id)]].state =
          m->polling.load(std::memory_order_relaxed) ? machine_state::polling : machine_state::idle;
  }
  r.idle_processors = s.npidle.load(std::memory_order_relaxed);
  r.idle_machines = s.nmidle.load(std::memory_order_relaxed);
  r.spinning_machines = s.nmspinning.load(std::memory_order_relaxed);
  r.machine_wakeups = s.machine_wakeups.load(std::memory_order_relaxed);
  r.machine_sleeps = s.machine_sleeps.load(std::memory_order_relaxed);
  r.live_fibers = live_fibers();
  r.watchdog_reports = watchdog_reports();
  r.netpoll_ready = netpoll_readied_total();
  r.blocking_machines = s.nmblocking.load(std::memory_order_relaxed);
  for_each_fiber(
      [](fiber* f, void* arg) {
        auto* r = static_cast<runtime_stats*>(arg);
        switch (f->state.load(std::memory_order_relaxed)) {
          case fiber_state::running:
            ++r->fibers_running;
            break;
          case fiber_state::runnable:
            ++r->fibers_runnable;
            break;
          case fiber_state::parked:
          case fiber_state::inspected:
            ++r->fibers_parked;
            break;
          default:
            break;
        }
      },
      &r);
  return r;
}

}  // namespace goro
