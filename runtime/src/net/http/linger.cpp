#include "linger.hpp"

#include <system_error>

#include "wire.hpp"

namespace goro::http::detail {

void linger_close(net::stream& s) noexcept {
  try {
    s.shutdown_write();
    s.set_read_deadline(deadline_after(linger_time));
    char discard[16 * 1024];
    for (std::size_t drained = 0; drained < linger_bytes;) {
      const std::size_t n = s.read(discard, sizeof discard);
      if (n == 0) break;  // the client closed: nothing unread, no reset
      drained += n;
    }
  } catch (const std::system_error&) {
    // A deadline, a reset, or a stream closed by shutdown(): stop waiting.
  }
  s.close();
}

void answer_and_linger(net::stream& s, const response& rs,
                       std::chrono::nanoseconds write_timeout) noexcept {
  try {
    s.set_write_deadline(deadline_after(write_timeout));
    s.write_all(serialize(rs, false));
  } catch (const std::exception&) {
    s.close();  // the client is gone or does not read: no answer to protect
    return;
  }
  linger_close(s);
}

}  // namespace goro::http::detail
