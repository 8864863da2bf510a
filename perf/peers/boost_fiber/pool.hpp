// perf/peers/boost_fiber/pool.hpp: the Boost.Fiber peers' scheduler. The main thread and
// P-1 worker threads share fibers through boost::fibers::algo::work_stealing (P = --procs,
// or the hardware threads); every fiber gets a 16 KiB fixedsize_stack (smaller stacks crash
// Boost's skynet). Construct a pool before starting the clock; it stops its workers when it
// goes out of scope.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/fiber/all.hpp>

namespace perf {

inline boost::fibers::fixedsize_stack stack_16k() {
  return boost::fibers::fixedsize_stack(16 * 1024);
}

class work_stealing_pool {
 public:
  explicit work_stealing_pool(int procs) {
    auto n = static_cast<std::uint32_t>(procs > 0 ? procs : std::thread::hardware_concurrency());
    for (std::uint32_t i = 1; i < n; ++i) {
      workers_.emplace_back([this, n] {
        boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(n);
        std::unique_lock lock(mu_);
        stop_cv_.wait(lock, [this] { return stop_; });  // runs fibers meanwhile
      });
    }
    // The constructor of work_stealing waits until all n threads have registered.
    boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(n);
  }
  ~work_stealing_pool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    for (auto& w : workers_) w.join();
  }

 private:
  std::mutex mu_;
  boost::fibers::condition_variable_any stop_cv_;
  bool stop_ = false;  // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace perf
