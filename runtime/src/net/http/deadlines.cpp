#include "deadlines.hpp"

#include <algorithm>
#include <system_error>

#include "wire.hpp"

namespace goro::http::detail {

bool await_request(net::stream& s, std::string& buf, net::time_point deadline) {
  if (!buf.empty()) return true;  // pipelined: it is here already
  s.set_read_deadline(deadline);  // keeps HD1
  char tmp[16 * 1024];
  try {
    const std::size_t n = s.read(tmp, sizeof tmp);
    buf.append(tmp, n);
    return n > 0;
  } catch (const std::system_error&) {
    return false;  // the deadline, a reset, or shutdown() closing an idle connection
  }
}

void request_clock::before_read() noexcept {
  if (!head_read_) read_any_ = true;
  if (read_set_) return;
  read_set_ = true;
  const auto limit =
      head_read_ ? o_.read_timeout : std::min(o_.read_header_timeout, o_.read_timeout);
  s_.set_read_deadline(deadline_from(t0_, limit));  // keeps HD2
}

void request_clock::head_read() noexcept {
  if (head_read_) return;
  head_read_ = true;
  read_set_ = false;  // the body's deadline is later than the head's (HD2)
  // HD3: the head ended with the bytes of its last read; in the common case that is the
  // read before the clock was made, and the clock is not read again.
  const auto end = read_any_ ? coarse_now() : now_;
  s_.set_write_deadline(deadline_from(end, o_.write_timeout));
}

}  // namespace goro::http::detail
