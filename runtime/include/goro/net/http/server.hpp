// goro::http::server: one fiber per connection, keep-alive, pipelining, graceful shutdown.
//
// Framing follows RFC 9112: a request whose Transfer-Encoding does not end in `chunked`,
// that has both Transfer-Encoding and Content-Length, or (in HTTP/1.1) no Host or two, is
// answered 400 and the connection closed; a Transfer-Encoding in HTTP/1.0 closes the
// connection after the message. Bytes after a framing error are never read as a request.
// Each limit is answered with its status (408, 413, 431) and a lingering close (the server
// stops writing, then drains the client's bytes for a while) so that the client reads it.
// A handler's exception (of any type) is a 500 with a generic body; its text goes to
// error_log. So is a response with a status outside 200..599 (1xx included: goro does no
// upgrades) or a header (set through `headers`) with a bad name or CR, LF or NUL: it is
// never written. HEAD answers carry the Content-Length of their body but not the body;
// 204 and 304 carry neither. `Expect: 100-continue` is answered before the body is read.
// A request that started and did not arrive in time is answered 408; a connection that
// waits for a request in vain, or whose client does not read its answer, is closed.
//
// shutdown(): stops accepting, lets the requests in progress finish (each bounded by the
// timeouts), closes the idle connections, and returns once every connection fiber ended.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include <goro/net/http/message.hpp>
#include <goro/net/tcp.hpp>

namespace goro::http {

using handler = std::function<void(const request&, response&)>;

// Go's http.Server fields by name. Go's zero means "no limit"; goro's defaults are limits a
// public server can live with, and nanoseconds::max() means none. A zero or negative
// duration, or a zero size, is rejected by server's constructor (goro::option_error).
struct server_options {
  // Bytes of a request's head: request line and headers, plus a chunked body's chunk
  // extensions and trailers (431 past it).
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // 413 past it (Go: MaxBytesReader)
  // From the first byte of a request to the end of its head (408).
  std::chrono::nanoseconds read_header_timeout = std::chrono::seconds(10);
  // From the first byte of a request to the end of its body (408).
  std::chrono::nanoseconds read_timeout = std::chrono::seconds(30);
  // From the end of a request's head to the end of its response's last write (the
  // handler's time counts, as in Go): a client that does not read is dropped then.
  std::chrono::nanoseconds write_timeout = std::chrono::seconds(30);
  // How long a kept-alive connection may wait for its next request (closed silently). A new
  // connection waits for its first request read_header_timeout (closed silently too).
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(120);
  // Requests served on one connection before it is closed (Connection: close on the last);
  // 0: no limit.
  std::size_t max_requests_per_connection = 0;
  // Where handler failures and other server errors go: one line each, without a newline
  // (control characters become spaces), e.g. "goro::http: handler for GET /x threw: ...".
  // Called from the connection fibers, concurrently: it must be safe to call so. Empty:
  // stderr, at most 10 lines a second (the rest counted and reported with the next line).
  std::function<void(std::string_view)> error_log;
};

class server {
 public:
  explicit server(handler h, server_options opts = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Serves every connection of `ln` on a fiber of its own until shutdown() (then returns;
  // it also closes `ln`). A scheduling point.
  void serve(net::listener& ln);
  // Graceful shutdown (see above). Returns once every connection has ended.
  void shutdown();
  // Requests handled so far (counted before their responses are written).
  std::uint64_t requests() const noexcept;
  // The most bytes one connection has held of a request not yet handed to the handler
  // (its unparsed input, its head, its trailers; not its body, which max_body_bytes
  // bounds): the measure of the head limits' effect under a flood.
  std::size_t peak_buffered_bytes() const noexcept;

  struct state;

 private:
  std::shared_ptr<state> s_;
};

}  // namespace goro::http
