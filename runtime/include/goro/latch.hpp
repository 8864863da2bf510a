// goro::latch: std::latch for fibers. A single-use countdown: count_down() lowers it,
// wait() returns once it reaches zero. Built on goro::wait_group. Safe from any fiber or
// thread.
// Memory ordering: what a fiber did before count_down() is visible after wait() returns.
// Misuse: counting below zero throws goro::wait_group_error.
//
//   goro::latch ready(3);
//   for (int i = 0; i < 3; ++i) goro::go([&] { warm_up(i); ready.count_down(); });
//   ready.wait();
#pragma once

#include <cstdint>

#include <goro/wait_group.hpp>

namespace goro {

class latch {
 public:
  explicit latch(std::int64_t count) { wg_.add(count); }
  void count_down(std::int64_t n = 1) { wg_.add(-n); }
  void wait() { wg_.wait(); }  // a scheduling point
  void arrive_and_wait(std::int64_t n = 1) {
    count_down(n);
    wait();
  }

 private:
  wait_group wg_;
};

}  // namespace goro
