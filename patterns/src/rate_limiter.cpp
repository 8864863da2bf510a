// goro::patterns::rate_limiter (see goro/patterns/rate_limiter.hpp).
#include <algorithm>

#include <fmt/format.h>

#include <goro/error.hpp>
#include <goro/patterns/rate_limiter.hpp>

namespace goro::patterns {

rate_limiter::rate_limiter(double per_second, std::int64_t burst)
    : tokens_(static_cast<double>(burst)),
      last_(clock::now()),
      rate_(per_second),
      burst_(static_cast<double>(burst)) {
  if (!(per_second > 0) || burst < 1)
    throw option_error(
        fmt::format("goro: rate_limiter({}, {}): want a positive rate and a burst of at least 1",
                    per_second, burst));
}

void rate_limiter::refill(clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

bool rate_limiter::allow() {
  std::lock_guard g(mu_);
  refill(clock::now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::error_code rate_limiter::wait(const context& ctx) {
  std::chrono::nanoseconds delay{0};
  {
    std::lock_guard g(mu_);
    refill(clock::now());
    tokens_ -= 1;  // reserve ours; below 0, it is due when the deficit has accrued
    if (tokens_ < 0)
      delay = std::chrono::ceil<std::chrono::nanoseconds>(
          std::chrono::duration<double>(-tokens_ / rate_));
  }
  std::error_code e = delay.count() == 0 ? ctx.err() : goro::sleep_for(ctx, delay);
  if (e) {
    std::lock_guard g(mu_);
    tokens_ += 1;  // not used: give it back
    return e;
  }
  return {};
}

}  // namespace goro::patterns
