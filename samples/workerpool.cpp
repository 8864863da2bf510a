// samples/workerpool.cpp: a bounded worker pool with results and errors, the errgroup way
// (Go's golang.org/x/sync/errgroup with SetLimit), then the classic pool by hand. The Go
// original:
//
//   g, ctx := errgroup.WithContext(ctx)
//   g.SetLimit(4)                          // at most 4 jobs at once; g.Go waits for a slot
//   for i := 1; i <= 100; i++ {
//       i := i
//       g.Go(func() error {
//           v, err := job(ctx, i)          // job watches ctx
//           results[i] = v                 // each job its own slot: no lock
//           return err
//       })
//   }
//   if err := g.Wait(); err != nil {       // the first error; it cancelled ctx
//       log.Print(err)
//   }
//
// goro::scope is errgroup: spawn() with a limit waits for a free slot, the first job to
// throw cancels the scope's context, and wait() joins every fiber and rethrows that first
// exception. The jobs watch the context: the ones running stop early, the ones not yet
// started never begin, and main stops handing out jobs. A gauge counts the jobs running at
// once: it never goes above the limit.
//
// The hand-written pool is the one of "Go by Example": W workers range over a jobs channel
// and send each outcome, a value or an error, on a results channel. Nothing cancels there:
// every job runs and every error is collected, which is the other policy.
//
// --help: workerpool [--jobs N=100] [--workers N=4] [--fail-every N=13] [--work-us N=1000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: workerpool [--jobs N=100] [--workers N=4] [--fail-every N=13] [--work-us N=1000]\n"
    "  --jobs N        jobs to run, numbered 1..N (1..100000)\n"
    "  --workers N     jobs running at once at most (1..1000)\n"
    "  --fail-every N  jobs whose number is a multiple of N fail; 0: none (0..100000)\n"
    "  --work-us N     microseconds each job takes, standing for work (0..1000000)\n";

struct args {
  int jobs = 100;
  int workers = 4;
  int fail_every = 13;
  std::chrono::microseconds work{1000};
};

args parse_or_exit(int argc, char** argv) {
  args a;
  int work_us = static_cast<int>(a.work.count());
  samples::flags("workerpool", usage)
      .integer("--jobs", a.jobs, 1, 100'000)
      .integer("--workers", a.workers, 1, 1000)
      .integer("--fail-every", a.fail_every, 0, 100'000)
      .integer("--work-us", work_us, 0, 1'000'000)
      .parse(argc, argv);
  a.work = std::chrono::microseconds(work_us);
  return a;
}

// Counts the jobs running at once and remembers the most. Relaxed: these are statistics,
// read only after the scope's wait(), which makes every fiber's writes visible.
struct gauge {
  std::atomic<int> now{0}, most{0};
  void enter() {
    const int n = now.fetch_add(1, std::memory_order_relaxed) + 1;
    int m = most.load(std::memory_order_relaxed);
    while (n > m && !most.compare_exchange_weak(m, n, std::memory_order_relaxed)) {
    }
  }
  void leave() { now.fetch_sub(1, std::memory_order_relaxed); }
};

// One job: squares i after `work`, or fails if i is a multiple of fail_every. Empty if ctx
// ended during the work: the job stopped early, which is not an error of its own.
std::optional<std::int64_t> job(const goro::context& ctx, int i, const args& a) {
  if (goro::sleep_for(ctx, a.work)) return std::nullopt;  // cancelled while working
  if (a.fail_every > 0 && i % a.fail_every == 0)
    throw std::runtime_error(
        fmt::format("job {} failed: {} is a multiple of {}", i, i, a.fail_every));
  return std::int64_t{i} * i;
}

// The errgroup way: jobs 1..N on a scope limited to `workers` fibers at once. False if more
// jobs than that ever ran at once.
bool with_scope(const args& a) {
  std::vector<std::optional<std::int64_t>> results(a.jobs + 1);  // results[i]: job i's
  std::atomic<int> cancelled{0}, not_started{0};
  gauge running;
  int handed_out = 0;
  std::string first_error;
  std::size_t other_errors = 0;

  {
    goro::scope s(goro::context{}, static_cast<std::size_t>(a.workers));
    for (int i = 1; i <= a.jobs; ++i) {
      if (s.ctx().is_done()) break;  // a job failed: hand out no more (errgroup's ctx.Err())
      ++handed_out;
      // Waits for a free slot, then runs the job on a fiber of the scope. The scope outlives
      // its fibers (wait() below joins them), so they may borrow this function's locals.
      s.spawn([&, i](const goro::context& ctx) {
        if (ctx.is_done()) {  // cancelled while it waited for its slot: do not begin
          not_started.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        running.enter();
        struct leave_on_exit {  // also when the job throws
          gauge& g;
          ~leave_on_exit() { g.leave(); }
        } leave{running};
        results[i] = job(ctx, i, a);  // throws on failure: the scope cancels ctx
        if (!results[i]) cancelled.fetch_add(1, std::memory_order_relaxed);
      });
    }
    try {
      s.wait();  // every fiber joined; the first failure, if any, rethrown here
    } catch (const std::exception& e) {
      first_error = e.what();
    }
    other_errors = s.other_errors().size();
  }

  const auto done =
      std::count_if(results.begin(), results.end(), [](auto& r) { return r.has_value(); });
  std::int64_t sum = 0;
  for (auto& r : results) sum += r.value_or(0);
  const int most = running.most.load(std::memory_order_relaxed);
  if (most > a.workers) {
    fmt::print(stderr, "workerpool: {} jobs ran at once, above the limit of {}\n", most, a.workers);
    return false;
  }

  if (first_error.empty()) {
    fmt::print("  all {} results collected, sum {}; max concurrent: {}\n", done, sum, most);
    return true;
  }
  const int failed = 1 + static_cast<int>(other_errors);
  const int never = a.jobs - handed_out + not_started.load(std::memory_order_relaxed);
  fmt::print("  first error: {}\n", first_error);
  fmt::print(
      "  {} done, {} failed, {} cancelled while running, {} never started "
      "({} in all); max concurrent: {}\n",
      done, failed, cancelled.load(std::memory_order_relaxed), never,
      done + failed + cancelled.load(std::memory_order_relaxed) + never, most);
  return true;
}

// The classic pool by hand: a jobs channel, W workers, a results channel of value-or-error.
struct outcome {
  int job;
  std::int64_t value;  // if error is empty
  std::string error;   // Go's (value, err) pair
};

void by_hand(const args& a) {
  goro::chan<int> jobs(a.workers);
  goro::chan<outcome> results(a.workers);

  goro::wait_group wg;
  wg.add(a.workers);
  for (int w = 0; w < a.workers; ++w) {
    goro::go([jobs, results, &wg, &a] {
      for (int i : jobs) {  // until jobs is closed and drained
        try {
          results.send({i, *job(goro::context{}, i, a), ""});  // background: never cancelled
        } catch (const std::exception& e) {
          results.send({i, 0, e.what()});
        }
      }
      wg.done();
    });
  }
  auto feeder = goro::spawn([jobs, n = a.jobs] {
    for (int i = 1; i <= n; ++i) jobs.send(i);
    jobs.close();  // ends the workers' range-for
  });
  auto closer = goro::spawn([results, &wg] {
    wg.wait();        // every worker has sent its last outcome
    results.close();  // ends main's range-for below
  });

  int values = 0;
  std::int64_t sum = 0;
  std::vector<int> failed;
  for (outcome& o : results) {
    if (o.error.empty()) {
      ++values;
      sum += o.value;
    } else {
      failed.push_back(o.job);
    }
  }
  feeder.join();
  closer.join();
  std::sort(failed.begin(), failed.end());  // they arrive in any order
  std::string ids = failed.empty() ? " none" : "";
  for (std::size_t k = 0; k < failed.size() && k < 10; ++k) ids += fmt::format(" {}", failed[k]);
  if (failed.size() > 10) ids += " ...";
  fmt::print("  {} values, sum {}; {} errors, from jobs:{}\n", values, sum, failed.size(), ids);
}

}  // namespace

int main(int argc, char** argv) try {
  const args a = parse_or_exit(argc, argv);
  return goro::run([&] {
    fmt::print("{} jobs, each squaring its number in {} us; at most {} at once\n", a.jobs,
               a.work.count(), a.workers);

    fmt::print("goro::scope (errgroup), no job failing:\n");
    args none = a;
    none.fail_every = 0;
    if (!with_scope(none)) return 1;

    if (a.fail_every > 0) {
      fmt::print("goro::scope (errgroup), multiples of {} failing: the first failure cancels\n",
                 a.fail_every);
      if (!with_scope(a)) return 1;
    }

    fmt::print(
        "by hand: {} worker fibers, a jobs channel, a results channel of value-or-error; "
        "every job runs\n",
        a.workers);
    by_hand(a);
    return 0;
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("workerpool", e);
}
