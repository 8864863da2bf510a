// samples/adder.cpp: the "adder" of the talk "Concurrency, simplified?": add numbers up in
// buckets, the contrived example that goes from one thread to many, then to fibers, and
// times each way. Here: the numbers 1..N, number i into bucket i % B, by W workers, each
// taking an equal slice of the numbers. The talk's Go originals (its numbers go into one
// counter; its Python adds into buckets, as here):
//
//   func Adder(counter *int, num int) {              // single.go: Adder(&counter, n)
//       for i := 0; i < num; i++ { *counter = *counter + 1 }
//   }
//   // multi.go: numWorkers goroutines each run Adder(counter, num/numWorkers) on the one
//   // counter, a race; lock.go: the same, each Adder between mutex.Lock() and Unlock().
//   func ChanneledAdder(counter *int, num int) {     // channels.go
//       num = num / numWorkers
//       channel := make(chan int)
//       for i := 0; i < numWorkers; i++ { go worker(num, channel) }
//       for i := 0; i < numWorkers; i++ { *counter += <-channel }
//   }
//   func worker(num int, channel chan int) {
//       counter := 0; Adder(&counter, num); channel <- counter
//   }
//
// The ways, in the talk's order (its Python first, then Go):
//   single-threaded       one loop; the reference
//   threads, no lock      threads add into shared buckets: a race, updates are lost
//   threads + lock        the same, each update under a std::mutex: right, but they queue
//   threads + queue       each thread adds into buckets of its own and puts them on a queue
//                         (a mutex and a condition variable); main merges them: no sharing
//   fibers, no lock       Go's multi.go: fibers run in parallel too, so they race alike
//   fibers + goro::mutex  Go's lock.go, the lock taken per update (as in the talk's Python)
//   fibers + channels     Go's channels.go: each fiber sends its buckets over a channel
//
// The race: "b = b + i" done by two threads at once may read the same b, and one sum is
// lost. A data race is undefined behaviour in C++, so the racing ways make it well defined
// on purpose: each bucket is a std::atomic read with a relaxed load and written with a
// separate relaxed store. Each access is atomic, the read-modify-write is not: the lost
// update stays, the undefined behaviour goes (and thread sanitizers stay quiet). How much
// is lost differs from run to run; sometimes nothing is.
//
// --help: adder [--numbers N=20000000] [--buckets N=10] [--workers N=8]
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: adder [--numbers N=20000000] [--buckets N=10] [--workers N=8]\n"
    "  --numbers N  numbers to add up, 1..N (1..100000000)\n"
    "  --buckets N  buckets: number i goes into bucket i % N (1..1000)\n"
    "  --workers N  threads or fibers sharing the numbers (1..1000)\n";

struct args {
  int numbers = 20'000'000;
  int buckets = 10;
  int workers = 8;
};

args parse_or_exit(int argc, char** argv) {
  args a;
  samples::flags("adder", usage)
      .integer("--numbers", a.numbers, 1, 100'000'000)
      .integer("--buckets", a.buckets, 1, 1000)
      .integer("--workers", a.workers, 1, 1000)
      .parse(argc, argv);
  return a;
}

using buckets = std::vector<std::int64_t>;

// Worker w's slice of the numbers: from..to-1.
struct slice {
  std::int64_t from, to;
};
slice slice_of(const args& a, int w) {
  return {1 + std::int64_t{a.numbers} * w / a.workers,
          1 + std::int64_t{a.numbers} * (w + 1) / a.workers};
}

// Adds the numbers of slice s into b: the work every way does, in one form or another.
void add(slice s, buckets& b) {
  for (std::int64_t i = s.from; i < s.to; ++i) b[i % b.size()] += i;
}

// Runs worker(w) for each worker on a thread of its own and joins them all. Joining blocks
// this OS thread: goro::blocking hands the fiber's processor to another thread meanwhile.
template <class Fn>
void on_threads(int workers, Fn worker) {
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back(worker, w);
  goro::blocking([&] {
    for (auto& t : threads) t.join();
  });
}

// Runs worker(w) for each worker on a fiber of its own and joins them all.
template <class Fn>
void on_fibers(int workers, Fn worker) {
  std::vector<goro::join_handle<void>> fibers;
  for (int w = 0; w < workers; ++w) fibers.push_back(goro::spawn(worker, w));
  for (auto& f : fibers) f.join();
}

// The shared buckets of the racing ways: atomics, read and written separately (see the top).
struct racy_buckets {
  explicit racy_buckets(int n) : b(n) {}
  void add(slice s) {
    for (std::int64_t i = s.from; i < s.to; ++i) {
      auto& bucket = b[i % b.size()];
      // Read, then write: another worker may write between the two, and its sum is lost.
      bucket.store(bucket.load(std::memory_order_relaxed) + i, std::memory_order_relaxed);
    }
  }
  buckets values() const {  // once the workers are joined: every store is visible
    buckets r;
    for (auto& x : b) r.push_back(x.load(std::memory_order_relaxed));
    return r;
  }
  std::vector<std::atomic<std::int64_t>> b;
};

buckets single_threaded(const args& a) {
  buckets b(a.buckets);
  add({1, std::int64_t{a.numbers} + 1}, b);
  return b;
}

buckets threads_racing(const args& a) {
  racy_buckets shared(a.buckets);
  on_threads(a.workers, [&](int w) { shared.add(slice_of(a, w)); });
  return shared.values();
}

buckets threads_with_lock(const args& a) {
  buckets shared(a.buckets);
  std::mutex mu;  // guards shared
  on_threads(a.workers, [&](int w) {
    auto [from, to] = slice_of(a, w);
    for (std::int64_t i = from; i < to; ++i) {
      std::lock_guard g(mu);  // one at a time: the other threads wait here
      shared[i % shared.size()] += i;
    }
  });
  return shared;
}

// A queue between threads, as Python's queue.Queue: a mutex and a condition variable.
template <class T>
class thread_queue {
 public:
  void push(T v) {
    {
      std::lock_guard g(mu_);
      q_.push_back(std::move(v));
    }
    ready_.notify_one();
  }
  T pop() {  // waits for a value: blocks the OS thread
    std::unique_lock g(mu_);
    ready_.wait(g, [&] { return !q_.empty(); });
    T v = std::move(q_.front());
    q_.pop_front();
    return v;
  }

 private:
  std::mutex mu_;  // guards q_
  std::condition_variable ready_;
  std::deque<T> q_;
};

buckets threads_with_queue(const args& a) {
  thread_queue<buckets> results;
  std::vector<std::thread> threads;
  for (int w = 0; w < a.workers; ++w)
    threads.emplace_back([&a, &results, w] {
      buckets own(a.buckets);  // this thread's alone: no lock, no race
      add(slice_of(a, w), own);
      results.push(std::move(own));
    });
  buckets total(a.buckets);
  goro::blocking([&] {  // pop() and join() block this OS thread: hand the processor on
    for (int w = 0; w < a.workers; ++w) {
      buckets part = results.pop();
      for (int k = 0; k < a.buckets; ++k) total[k] += part[k];
    }
    for (auto& t : threads) t.join();
  });
  return total;
}

buckets fibers_racing(const args& a) {
  racy_buckets shared(a.buckets);
  on_fibers(a.workers, [&](int w) { shared.add(slice_of(a, w)); });
  return shared.values();
}

buckets fibers_with_mutex(const args& a) {
  buckets shared(a.buckets);
  goro::mutex mu;  // guards shared; a fiber waiting for it parks, its thread runs others
  on_fibers(a.workers, [&](int w) {
    auto [from, to] = slice_of(a, w);
    for (std::int64_t i = from; i < to; ++i) {
      std::lock_guard g(mu);
      shared[i % shared.size()] += i;
    }
  });
  return shared;
}

buckets fibers_with_channels(const args& a) {
  goro::chan<buckets> results(0);  // Go's make(chan int): each send meets main's receive
  std::vector<goro::join_handle<void>> fibers;
  for (int w = 0; w < a.workers; ++w)
    fibers.push_back(goro::spawn([&a, results, w] {
      buckets own(a.buckets);
      add(slice_of(a, w), own);
      results.send(std::move(own));  // handed over: the fiber no longer has it
    }));
  buckets total(a.buckets);
  for (int w = 0; w < a.workers; ++w) {
    buckets part = *results.recv();
    for (int k = 0; k < a.buckets; ++k) total[k] += part[k];
  }
  for (auto& f : fibers) f.join();  // each has sent; joined so that none outlives main
  return total;
}

struct way {
  std::string_view name;
  buckets (*run)(const args&);
  bool racy;
};

}  // namespace

int main(int argc, char** argv) try {
  auto args = parse_or_exit(argc, argv);

  return goro::run([&] {
    const std::int64_t n = args.numbers, want = n * (n + 1) / 2;
    fmt::print("adding 1..{} into {} buckets (i into bucket i % {}); {} workers, {} processors\n",
               args.numbers, args.buckets, args.buckets, args.workers, goro::procs());
    fmt::print("the sum must be {}\n\n", want);

    const way ways[] = {
        {"single-threaded", single_threaded, false},
        {"threads, no lock", threads_racing, true},
        {"threads + lock", threads_with_lock, false},
        {"threads + queue", threads_with_queue, false},
        {"fibers, no lock", fibers_racing, true},
        {"fibers + goro::mutex", fibers_with_mutex, false},
        {"fibers + channels", fibers_with_channels, false},
    };
    fmt::print("{:<22}{:>10}  {:<18}{}\n", "way", "ms", "sum", "check");
    buckets reference;  // the single-threaded buckets: every bucket of every way must match
    bool all_ok = true;
    for (const auto& w : ways) {
      auto t0 = std::chrono::steady_clock::now();
      buckets b = w.run(args);
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (reference.empty()) reference = b;
      std::int64_t sum = 0;
      for (auto x : b) sum += x;
      std::string check;
      if (w.racy && sum == want)
        check = "racy: right this time, by luck";
      else if (w.racy)
        check = fmt::format("racy: wrong, {:.1f}% lost", 100.0 * double(want - sum) / double(want));
      else if (sum == want && b == reference)
        check = "ok";
      else
        check = "WRONG";
      all_ok = all_ok && (w.racy || check == "ok");
      fmt::print("{:<22}{:>10.1f}  {:<18}{}\n", w.name, ms, sum, check);
    }
    if (!all_ok) {
      fmt::print(stderr, "adder: a way without a race got a wrong sum\n");
      return 1;
    }
    fmt::print("\nevery way without a race: the right sum, in every bucket\n");
    return 0;
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("adder", e);
}
