// Internal. A server connection's deadlines: Go's http.Server timeouts, as its conn.serve and
// readRequest set them (net/http/server.go), with goro's answers.
// D1: waiting for a request's first byte ends at the connection's start + read_header_timeout
//     for its first request, at now + idle_timeout for the next ones. Running out closes the
//     connection without a word: no request started.
// D2: from t0 (the connection's start for its first request, the first byte for the next
//     ones) the head must be read by t0 + read_header_timeout and the whole request by
//     t0 + read_timeout. Running out is answered 408, with a lingering close.
// D3: from the end of the head, every write of the answer must end within write_timeout
//     (the handler's time counts, as in Go). Running out drops the connection: a client that
//     does not read cannot hold a fiber, a descriptor and a response.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <goro/net/http/server.hpp>
#include <goro/net/tcp.hpp>

namespace goro::http::detail {

// t0 + d, saturated: past the clock's range (nanoseconds::max()) is no deadline.
net::time_point deadline_from(net::time_point t0, std::chrono::nanoseconds d) noexcept;

// D1: true once `buf` holds a byte of the next request (read from `s` if it was empty);
// false if the client closed, the stream failed or `deadline` passed first.
bool await_request(net::stream& s, std::string& buf, net::time_point deadline);

// D2, D3 for one request. Not shared: the connection's fiber only.
class request_clock {
 public:
  // Sets the read deadline for the head (D2).
  request_clock(net::stream& s, const server_options& o, net::time_point t0) noexcept;
  // The head is whole: the read deadline becomes the whole request's (D2) and the write
  // deadline starts (D3). Idempotent.
  void head_read() noexcept;

 private:
  net::stream& s_;
  const server_options& o_;
  net::time_point t0_;
  bool head_read_ = false;
};

}  // namespace goro::http::detail
