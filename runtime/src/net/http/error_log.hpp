// Internal. The server's default error log: stderr, at most `per_second` lines a second.
// Lines past the limit are dropped and counted; the count goes out with the next line that
// gets through ("<line> (N earlier lines suppressed)"), as Go's log throttles do, so a flood
// of failing requests cannot flood stderr or slow the server down on it.
// HE1: the window starts at the first line after the previous window ended; `sent_` lines of
//      it went out, `dropped_` were counted since the last line that went out.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

#include <goro/detail/thread_safety.hpp>

namespace goro::http::detail {

class rate_limited_log {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  // `now` is the clock (a test's own), `sink` writes one line.
  rate_limited_log(std::function<time_point()> now, std::function<void(std::string_view)> sink,
                   int per_second = 10);
  // Any fiber or thread, concurrently.
  void operator()(std::string_view line);

 private:
  std::function<time_point()> now_;
  std::function<void(std::string_view)> sink_;
  const int per_second_;
  goro::detail::checked_mutex mu_;
  time_point window_start_ GORO_GUARDED_BY(mu_){};  // HE1
  int sent_ GORO_GUARDED_BY(mu_) = 0;               // HE1
  std::uint64_t dropped_ GORO_GUARDED_BY(mu_) = 0;  // HE1
  bool started_ GORO_GUARDED_BY(mu_) = false;
};

// The default log: stderr through a rate_limited_log on the steady clock.
std::function<void(std::string_view)> default_error_log();

}  // namespace goro::http::detail
