#include "deadlines.hpp"

#include <algorithm>
#include <system_error>

namespace goro::http::detail {

net::time_point deadline_from(net::time_point t0, std::chrono::nanoseconds d) noexcept {
  const auto step = std::chrono::ceil<net::time_point::duration>(d);
  if (step.count() <= 0) return t0;
  if (step >= net::time_point::max() - t0) return net::no_deadline;
  return t0 + step;
}

bool await_request(net::stream& s, std::string& buf, net::time_point deadline) {
  if (!buf.empty()) return true;  // pipelined: it is here already
  s.set_read_deadline(deadline);  // keeps D1
  char tmp[16 * 1024];
  try {
    const std::size_t n = s.read(tmp, sizeof tmp);
    buf.append(tmp, n);
    return n > 0;
  } catch (const std::system_error&) {
    return false;  // the deadline, a reset, or shutdown() closing an idle connection
  }
}

request_clock::request_clock(net::stream& s, const server_options& o, net::time_point t0) noexcept
    : s_(s), o_(o), t0_(t0) {
  s_.set_read_deadline(deadline_from(t0_, std::min(o_.read_header_timeout, o_.read_timeout)));
}

void request_clock::head_read() noexcept {
  if (head_read_) return;
  head_read_ = true;
  s_.set_read_deadline(deadline_from(t0_, o_.read_timeout));  // keeps D2
  s_.set_write_deadline(deadline_from(std::chrono::steady_clock::now(), o_.write_timeout));  // D3
}

}  // namespace goro::http::detail
