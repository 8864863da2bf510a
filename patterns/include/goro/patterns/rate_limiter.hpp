// goro::patterns::rate_limiter: a token bucket (golang.org/x/time/rate's Limiter, reduced).
// Tokens accrue at `per_second`, at most `burst` saved up; allow() takes one if there is
// one, wait(ctx) parks the fiber (blocks a thread) until its token is due, or returns
// ctx.err() if ctx ends first (its reservation is then given back).
// Problem: many fibers call a service that accepts at most N requests per second.
//
//   goro::patterns::rate_limiter limit(100, 10);   // 100/s, bursts of 10
//   for (auto& job : jobs)
//     goro::go([&, job] { if (!limit.wait(ctx)) call(job); });
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <system_error>

#include <goro/context.hpp>

namespace goro::patterns {

class rate_limiter {
 public:
  // Throws goro::option_error unless per_second > 0 and burst >= 1.
  rate_limiter(double per_second, std::int64_t burst);

  // Takes a token if one is available now.
  bool allow();
  // Waits for a token; {} once taken, else ctx.err() (ctx ended first).
  std::error_code wait(const context& ctx);

 private:
  using clock = std::chrono::steady_clock;
  void refill(clock::time_point now);  // mu_ held

  std::mutex mu_;  // guards the two below; never held across a wait
  double tokens_;  // may go negative: tokens reserved by waiters
  clock::time_point last_;
  const double rate_;
  const double burst_;
};

}  // namespace goro::patterns
