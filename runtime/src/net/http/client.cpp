// goro::http::client and get().
// HC1: a request goes out only after check_request() (wire.hpp HW1): nothing of a bad one is sent.
// HC2: a kept-alive connection is used again only if its last response was read whole with
//      nothing after it, the response did not end with the connection (Connection: close, a
//      body delimited by the close, a 101), and it is quiet when the next request starts: no
//      end of stream (the server closed it while idle), no byte (an answer nobody asked for).
// HC3: a request is sent again (once, on a new connection) only if its connection was reused,
//      nothing of a response arrived, and it is replayable: GET, HEAD, OPTIONS or TRACE without
//      a body, or any request with an Idempotency-Key or X-Idempotency-Key (Go's transport).
// HC4: bytes held unparsed (the connection's buffer) never pass max_header_bytes plus one
//      read: Beast's header_limit bounds a head, not a chunked body's chunk lines and trailers.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <optional>

#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include <goro/net/http/client.hpp>

#include "net/sys.hpp"
#include "wire.hpp"

namespace goro::http {

namespace bhttp = boost::beast::http;
using detail::deadline_after;

namespace {

using detail::headers_of;

using parser = bhttp::response_parser<bhttp::string_body>;

// More than this many 1xx interim responses before the final one is an error (Go's bound).
constexpr int max_interim_responses = 5;

bool replayable(const request& rq) {
  const bool idempotent =
      rq.method == "GET" || rq.method == "HEAD" || rq.method == "OPTIONS" || rq.method == "TRACE";
  return (idempotent && rq.body.empty()) || !rq.header_value("idempotency-key").empty() ||
         !rq.header_value("x-idempotency-key").empty();
}

// HC2: no end of stream and no byte waiting. A peek that takes nothing and never waits.
bool quiet(const net::stream& s) {
  char c;
  const auto r = goro::detail::sys::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);  // E1
  return r.n < 0 && (r.err == EAGAIN || r.err == EWOULDBLOCK);
}

[[noreturn]] void bad_response(std::string_view host_port, std::string_view what) {
  throw std::system_error(std::make_error_code(std::errc::protocol_error),
                          fmt::format("goro::http: {}: bad response: {}", host_port, what));
}

// One response on a client connection, read in two steps (its head, then its body) so that
// its framing is checked before a byte of its body is taken.
struct response_reader {
  net::stream& conn;
  std::string& buf;  // bytes read past what the parser took
  const std::string& host_port;
  const client_options& opts;
  std::size_t received = 0;  // bytes of any response read from the connection
  bool keep = false;         // the connection may carry the next request

  [[noreturn]] void fail(const boost::beast::error_code& ec, bool head) {
    if (ec == bhttp::error::header_limit)
      bad_response(host_port,
                   fmt::format("head over max_header_bytes ({})", opts.max_header_bytes));
    if (ec == bhttp::error::body_limit)
      bad_response(host_port, fmt::format("body over max_body_bytes ({})", opts.max_body_bytes));
    bad_response(host_port, fmt::format("{}{}", head ? "" : "in the body: ", ec.message()));
  }

  // Feeds `p` until its head (head) or its whole message is parsed. False if the stream
  // ended before the first byte of the message.
  bool read(parser& p, bool head) {
    bool any = !buf.empty();
    for (;;) {
      if (!buf.empty()) {
        boost::beast::error_code ec;
        const std::size_t used = p.put(boost::asio::buffer(buf.data(), buf.size()), ec);
        buf.erase(0, used);
        if (ec && ec != bhttp::error::need_more) fail(ec, head);
        if (head ? p.is_header_done() : p.is_done()) return true;
        if (buf.size() > opts.max_header_bytes)  // keeps HC4
          bad_response(host_port, fmt::format("{} over max_header_bytes ({})",
                                              head ? "head" : "a chunk line or the trailers",
                                              opts.max_header_bytes));
        if (!ec && used > 0 && !buf.empty()) continue;
      }
      char tmp[16 * 1024];
      const std::size_t n = conn.read(tmp, sizeof tmp);
      if (n == 0) {
        if (!any) return false;
        boost::beast::error_code ec;
        p.put_eof(ec);  // a body delimited by the end of the stream, or a truncated message
        if (!ec && !p.is_done()) ec = bhttp::error::partial_message;
        if (ec) fail(ec, head);
        return true;
      }
      any = true;
      received += n;
      buf.append(tmp, n);
    }
  }

  // The final response to `rq`, past any 1xx; nothing if the stream ended before a byte.
  // Sets `keep` when the connection may carry the next request (HC2).
  std::optional<response> receive(const request& rq) {
    for (int interim = 0;; ++interim) {
      parser p;
      p.header_limit(static_cast<std::uint32_t>(
          std::min<std::size_t>(opts.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
      p.body_limit(opts.max_body_bytes);
      if (rq.method == "HEAD") p.skip(true);  // no body, whatever Content-Length says
      p.eager(false);                         // the head alone first
      if (!read(p, true)) {
        if (interim == 0) return std::nullopt;
        bad_response(host_port, "the connection closed after a 1xx interim response");
      }
      auto& m = p.get();
      const int status = static_cast<int>(m.result_int());
      if (status / 100 == 1 && status != 101) {  // 100 Continue, 103 Early Hints: no body
        if (interim == max_interim_responses)
          bad_response(host_port,
                       fmt::format("more than {} 1xx interim responses", max_interim_responses));
        continue;
      }
      // RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length, and a message with
      // both may be smuggling or response splitting: Beast takes Content-Length when the
      // coding is not chunked, so the message is refused rather than framed either way.
      if (m.count(bhttp::field::transfer_encoding) > 0 && m.count(bhttp::field::content_length) > 0)
        bad_response(host_port, "both Transfer-Encoding and Content-Length");
      p.eager(true);
      if (!p.is_done()) read(p, false);
      response rs;
      rs.status = status;
      rs.headers = headers_of(m);
      rs.body = std::move(m.body());
      // keeps HC2; need_eof(): the body ran to the close (no length, or a Transfer-Encoding
      // that does not end in chunked).
      keep = m.keep_alive() && rq.keep_alive && !p.need_eof() && status != 101 && buf.empty();
      return rs;
    }
  }
};

}  // namespace

client::client(std::string host_port, client_options opts)
    : host_port_(detail::parse_authority(host_port)), opts_(opts) {}

response client::send(const request& rq) {
  detail::check_request(rq);  // keeps HC1
  const std::string wire = detail::serialize(rq, host_port_);
  auto drop = [this] {
    conn_ = net::stream();
    buffered_.clear();
  };
  for (;;) {
    if (conn_ && !quiet(conn_)) drop();  // keeps HC2
    const bool reused = static_cast<bool>(conn_);
    if (!reused) conn_ = net::dial(host_port_, opts_.timeout);
    conn_.set_deadline(deadline_after(opts_.timeout));
    response_reader rd{conn_, buffered_, host_port_, opts_};
    std::optional<response> rs;
    std::exception_ptr failure;
    try {
      conn_.write_all(wire);
      rs = rd.receive(rq);
    } catch (const net::timeout_error&) {
      drop();
      throw;
    } catch (const std::system_error&) {
      drop();
      if (rd.received > 0) throw;  // a response had begun: never sent again (HC3)
      failure = std::current_exception();
    }
    if (rs) {
      if (!rd.keep) drop();
      return std::move(*rs);
    }
    drop();
    if (reused && replayable(rq)) continue;  // keeps HC3: the next attempt is on a new connection
    if (failure && !reused) std::rethrow_exception(failure);
    throw std::system_error(
        std::make_error_code(std::errc::connection_reset),
        fmt::format("goro::http: {} {} to {}: the connection closed before a response{}", rq.method,
                    rq.target, host_port_,
                    reused ? " (the request may have been processed: it is not idempotent, so "
                             "it is not sent again)"
                           : ""));
  }
}

response get(std::string_view url, client_options opts) {
  auto u = detail::parse_url(url);
  request rq;
  rq.target = std::move(u.target);
  rq.keep_alive = false;
  client c(std::move(u.host_port), opts);
  return c.send(rq);
}

}  // namespace goro::http
