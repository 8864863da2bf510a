#include "error_log.hpp"

#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

namespace goro::http::detail {

rate_limited_log::rate_limited_log(std::function<time_point()> now,
                                   std::function<void(std::string_view)> sink, int per_second)
    : now_(std::move(now)), sink_(std::move(sink)), per_second_(per_second) {}

void rate_limited_log::operator()(std::string_view line) {
  std::string with_count;
  {
    goro::detail::guard g(mu_);
    const auto now = now_();
    if (!started_ || now - window_start_ >= std::chrono::seconds(1)) {  // keeps HE1
      started_ = true;
      window_start_ = now;
      sent_ = 0;
    }
    if (sent_ >= per_second_) {
      ++dropped_;
      return;
    }
    ++sent_;
    if (dropped_ > 0) {
      with_count = fmt::format("{} ({} earlier lines suppressed)", line, dropped_);
      dropped_ = 0;
    }
  }
  sink_(with_count.empty() ? line : std::string_view(with_count));  // outside mu_: may block
}

std::function<void(std::string_view)> default_error_log() {
  auto log = std::make_shared<rate_limited_log>(
      [] { return std::chrono::steady_clock::now(); },
      [](std::string_view line) {
        std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
      });
  return [log](std::string_view line) { (*log)(line); };
}

}  // namespace goro::http::detail
