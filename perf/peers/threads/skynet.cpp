// skynet (std::thread peer): a 10-ary tree of N leaf threads; each leaf sends its number, and
// each parent sends the sum of its 10 children's numbers, over an unbuffered channel made of
// a std::mutex and two std::condition_variables. Run at N = 10,000 (11,111 threads): a 1M
// tree of threads does not fit a default kernel. Measures the wall time from spawning the
// root to receiving the root's sum (metric total, ms) and the peak RSS growth per leaf
// (metric rss_peak, B/task). --procs is accepted and ignored: the OS schedules every thread
// (the runner pins the process to P cores).
// --help: threads_skynet [--n N=10000 (a power of ten)] [--procs P]
#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "bench.hpp"

namespace {

// An unbuffered channel of int64: send() returns once a receiver has taken its value.
class chan {
 public:
  void send(std::int64_t v) {
    std::unique_lock lock(mu_);
    senders_.wait(lock, [&] { return !full_; });
    value_ = v;
    full_ = true;
    std::int64_t ticket = ++sent_;
    receivers_.notify_one();
    senders_.wait(lock, [&] { return taken_ >= ticket; });
  }
  std::int64_t recv() {
    std::unique_lock lock(mu_);
    receivers_.wait(lock, [&] { return full_; });
    full_ = false;
    ++taken_;
    senders_.notify_all();  // the sender of this value, and one waiting for the slot
    return value_;
  }

 private:
  std::mutex mu_;
  std::condition_variable senders_, receivers_;
  bool full_ = false;  // all guarded by mu_
  std::int64_t value_ = 0, sent_ = 0, taken_ = 0;
};

void skynet(chan& c, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    c.send(num);
    return;
  }
  chan rc;
  std::array<std::thread, 10> children;
  for (std::int64_t i = 0; i < 10; ++i) {
    children[i] = std::thread(skynet, std::ref(rc), num + i * (size / 10), size / 10);
  }
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += rc.recv();
  for (auto& t : children) t.join();  // they have sent: only the thread's exit is left
  c.send(sum);
}

}  // namespace

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 10'000);
  perf::require_power_of_ten(args.n);
  auto rss0 = perf::rss_bytes();
  auto t0 = perf::clock::now();
  chan c;
  std::thread root(skynet, std::ref(c), std::int64_t{0}, args.n);
  std::int64_t sum = c.recv();
  auto t1 = perf::clock::now();
  root.join();
  perf::check(sum == args.n * (args.n - 1) / 2, "skynet sum != N*(N-1)/2");
  perf::print_metric("total", perf::ns_between(t0, t1) / 1e6, "ms");
  perf::print_metric("rss_peak", double(perf::peak_rss_bytes() - rss0) / args.n, "B/task");
}
