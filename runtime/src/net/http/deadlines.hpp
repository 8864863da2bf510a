// Internal. A server connection's deadlines: Go's http.Server timeouts, as its conn.serve and
// readRequest set them (net/http/server.go), with goro's answers.
// HD1: waiting for a request's first byte ends at the connection's start + read_header_timeout
//      for its first request, at now + idle_timeout for the next ones. Running out closes the
//      connection without a word: no request started.
// HD2: from t0 (the connection's start for its first request, the first byte for the next
//      ones) the head must be read by t0 + read_header_timeout and the whole request by
//      t0 + read_timeout. Running out is answered 408, with a lingering close. A read
//      deadline only matters to a read: each is set before the first read of its part (head,
//      body), so a request that came whole with its first bytes sets none.
// HD3: from the end of the head (when its last bytes were read), every write of the answer
//      must end within write_timeout (the handler's time counts, as in Go). Running out drops
//      the connection: a client that does not read cannot hold a fiber, a descriptor and a
//      response.
// Their times are read on the coarse clock (wire.hpp coarse_now()): each falls a few
// milliseconds early at most.
#pragma once

#include <chrono>
#include <string>

#include <goro/net/http/server.hpp>
#include <goro/net/tcp.hpp>

namespace goro::http::detail {

// HD1: true once `buf` holds a byte of the next request (read from `s` if it was empty);
// false if the client closed, the stream failed or `deadline` passed first.
bool await_request(net::stream& s, std::string& buf, net::time_point deadline);

// HD2, HD3 for one request. Not shared: the connection's fiber only.
class request_clock {
 public:
  // `t0` as HD2 says; `now`: the clock when the bytes in hand were read. Sets nothing yet.
  request_clock(net::stream& s, const server_options& o, net::time_point t0,
                net::time_point now) noexcept
      : s_(s), o_(o), t0_(t0), now_(now) {}
  // Before each read of the request: its part's read deadline (HD2), set once per part.
  void before_read() noexcept;
  // The head is whole: the body is the part read next (HD2) and the write deadline starts
  // (HD3). Idempotent.
  void head_read() noexcept;

 private:
  net::stream& s_;
  const server_options& o_;
  const net::time_point t0_;
  const net::time_point now_;
  bool head_read_ = false;
  bool read_set_ = false;  // the current part's read deadline is on the stream
  bool read_any_ = false;  // the head needed a read after `now_`
};

}  // namespace goro::http::detail
