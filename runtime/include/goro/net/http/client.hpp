// goro::http::client: a kept-alive connection to one server ("host[:port]", port 80 by
// default; an IPv6 literal in brackets), one request at a time. Not safe for concurrent use.
// A request is validated before it is sent (invalid_message: method, target, headers; the
// address too, in the constructor). When a kept-alive connection turns out closed, the
// request is sent again on a new one only if nothing of a response arrived and it is
// replayable: GET, HEAD, OPTIONS or TRACE without a body, or any request with an
// Idempotency-Key or X-Idempotency-Key header (Go's transport rule), so a POST is never run
// twice; otherwise send() throws std::system_error ("the connection closed before a
// response"). Responses are read as RFC 9112 says: 1xx interim responses are skipped (at
// most 5), a HEAD, 204 or 304 answer has no body, a body without a length runs to the close
// (and the connection is not reused); a response with both Transfer-Encoding and
// Content-Length, or past max_header_bytes or max_body_bytes, throws std::system_error
// (std::errc::protocol_error) before it is buffered. A connection is reused only if nothing
// but the response came on it.
//
//   goro::http::client c("127.0.0.1:8080", {.timeout = 5s});
//   auto rs = c.get("/jokes?n=3");
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <goro/net/http/message.hpp>
#include <goro/net/tcp.hpp>

namespace goro::http {

struct client_options {
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);  // dial, and each request
  // A response's head (each 1xx's too), and a chunked body's chunk lines and trailers.
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body_bytes = 64 * 1024 * 1024;  // of a response, after dechunking
};

class client {
 public:
  explicit client(std::string host_port, client_options opts = {});
  client(std::string host_port, std::chrono::nanoseconds timeout)
      : client(std::move(host_port), client_options{.timeout = timeout}) {}
  response send(const request& rq);
  response get(std::string_view target) {
    request rq;
    rq.target = std::string(target);
    return send(rq);
  }

 private:
  std::string host_port_;
  client_options opts_;
  net::stream conn_;
  std::string buffered_;  // bytes read past the previous response
};

// One GET of "http://host[:port][/path][?query]" on a new connection (a #fragment is not
// sent). https ("https is not supported: use a TLS-terminating proxy"), another scheme, no
// host, a bad port, a userinfo part, a space or a control character throw invalid_message
// naming the problem, before anything is dialed.
response get(std::string_view url, client_options opts = {});
inline response get(std::string_view url, std::chrono::nanoseconds timeout) {
  return get(url, client_options{.timeout = timeout});
}

}  // namespace goro::http
