// Internal. Reading one HTTP message from a fiber's stream into a Boost.Beast parser; for
// the server, in two steps (head, then body) and with the head limits Beast leaves out.
// HR1: a connection's bytes read past one message stay in its buffer for the next one
//      (pipelined requests, a response's successor on a kept-alive client connection).
// HR2: (server) what a request holds outside its body counts against one budget,
//      max_header_bytes: the empty lines before it (HR4), its head, and its chunked body's
//      framing (HR5: size lines, extensions, trailers). Past it: header_limit (431). Beast
//      1.74 limits the request line and the fields each on its own (so a head may reach
//      twice the limit) and a chunk line or the trailers not at all.
// HR3: (server) the buffer holds at most the budget plus one read: the reader reads more
//      only while the bytes the parser left unconsumed, plus the budget already spent, fit
//      the budget. Beast consumes body bytes as they come, so what it leaves is always an
//      incomplete head, chunk line or trailer section: framing, counted whole.
// HR4: (server) empty lines (CRLF or a bare LF) before a request line are dropped, as RFC
//      9112 §2.2 allows; a lone CR waits for its LF, never reaching the parser.
// HR5: (server) as Go's chunked reader: each chunk may carry 16 bytes of framing plus twice
//      its data for free; only the excess counts, and it never goes below zero (so one byte
//      a chunk streams, but extensions cannot outweigh the data).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <goro/net/tcp.hpp>

#include "deadlines.hpp"

namespace goro::http::detail {

// Feeds `p` from `buf` and then from `s` until it holds a whole message (HR1). Returns
// false if the stream ended before the first byte of a message; parse errors are in `ec`.
template <class Parser>
bool read_message(net::stream& s, std::string& buf, Parser& p, boost::beast::error_code& ec) {
  namespace bhttp = boost::beast::http;
  bool any = !buf.empty();
  for (;;) {
    if (!buf.empty()) {
      ec = {};
      std::size_t used = p.put(boost::asio::buffer(buf.data(), buf.size()), ec);
      buf.erase(0, used);
      if (ec && ec != bhttp::error::need_more) return true;
      ec = {};
      if (p.is_done()) return true;
      if (used > 0 && !buf.empty()) continue;
    }
    char tmp[16 * 1024];
    std::size_t n = s.read(tmp, sizeof tmp);
    if (n == 0) {
      if (!any) return false;
      p.put_eof(ec);  // a body delimited by the end of the stream, or a truncated message
      if (!ec && !p.is_done()) ec = bhttp::error::partial_message;
      return true;
    }
    any = true;
    buf.append(tmp, n);
  }
}

// Server side: reads one request into `p` in two steps, keeping HR1-HR5. One per request; it
// must outlive the parser's use (Beast keeps a reference to its chunk callback). Only the
// connection's fiber uses it.
class request_reader {
 public:
  using parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  // `peak`: the server's high-water mark of bytes a connection held outside a body. `clock`
  // sets the read deadline before each read (HD2 of deadlines.hpp).
  request_reader(net::stream& s, std::string& buf, parser& p, std::size_t budget,
                 std::atomic<std::size_t>& peak, request_clock& clock)
      : s_(s), buf_(buf), p_(p), budget_(budget), peak_(peak), clock_(clock) {
    p_.eager(false);  // stop at the end of the head: what put() consumed is head (HR2)
    p_.on_chunk_header(on_chunk_);
  }
  request_reader(const request_reader&) = delete;
  request_reader& operator=(const request_reader&) = delete;

  // Reads up to the end of the head. False if the stream ended before a request began;
  // parse errors (and header_limit, HR2) are in `ec`.
  bool read_head(boost::beast::error_code& ec) {
    return pump(ec, [this] { return p_.is_header_done(); });
  }

  // Reads the body (after read_head()). Errors are in `ec` (body_limit: 413).
  void read_body(boost::beast::error_code& ec) {
    p_.eager(true);
    if (!p_.is_done()) pump(ec, [this] { return p_.is_done(); });
  }

 private:
  struct chunk_counter {
    std::uint64_t n = 0;
    void operator()(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) { ++n; }
  };

  std::size_t spent() const { return head_ + excess_; }

  // HR4: drops leading empty lines; false while a lone CR may begin one.
  bool drop_empty_lines() {
    for (;;) {
      const std::size_t n = buf_.starts_with("\r\n") ? 2 : buf_.starts_with('\n') ? 1 : 0;
      if (n == 0) return buf_ != "\r";
      buf_.erase(0, n);
      head_ += n;  // HR2
    }
  }

  // Feeds the parser from the buffer, and the buffer from the stream, until done().
  template <class Done>
  bool pump(boost::beast::error_code& ec, Done done) {
    namespace bhttp = boost::beast::http;
    for (;;) {
      const bool head = !p_.is_header_done();
      const bool feed = p_.got_some() || drop_empty_lines();
      if (feed && !buf_.empty()) {
        const std::size_t body_before = p_.get().body().size();
        on_chunk_.n = 0;
        ec = {};
        const std::size_t used = p_.put(boost::asio::buffer(buf_.data(), buf_.size()), ec);
        buf_.erase(0, used);
        if (head) {
          head_ += used;  // eager(false): a put() that starts in the head ends with it
        } else {          // HR5
          const std::size_t data = p_.get().body().size() - body_before;
          const std::uint64_t credit = 16 * on_chunk_.n + 2 * std::uint64_t{data};
          const std::uint64_t framing = excess_ + (used - data);
          excess_ = framing > credit ? framing - credit : 0;
        }
        if (ec && ec != bhttp::error::need_more) return true;
        ec = {};
        if (spent() > budget_) {
          ec = bhttp::error::header_limit;  // HR2
          return true;
        }
        if (done()) return true;
        if (used > 0 && !buf_.empty()) continue;
      }
      if (spent() + buf_.size() > budget_) {  // HR3: what is left is framing, and too much
        ec = bhttp::error::header_limit;
        return true;
      }
      char tmp[16 * 1024];
      clock_.before_read();
      std::size_t n = s_.read(tmp, sizeof tmp);
      if (n == 0) {
        if (!p_.got_some()) return false;  // nothing of a request: the client closed
        p_.put_eof(ec);
        if (!ec && !p_.is_done()) ec = bhttp::error::partial_message;
        return true;
      }
      buf_.append(tmp, n);
      note_held(spent() + buf_.size());
    }
  }

  void note_held(std::size_t held) {
    // relaxed: a statistic; no other data is published with it.
    auto seen = peak_.load(std::memory_order_relaxed);
    while (held > seen && !peak_.compare_exchange_weak(seen, held, std::memory_order_relaxed)) {
    }
  }

  net::stream& s_;
  std::string& buf_;  // HR1
  parser& p_;
  const std::size_t budget_;
  std::atomic<std::size_t>& peak_;
  request_clock& clock_;
  chunk_counter on_chunk_;
  std::size_t head_ = 0;      // HR2: empty lines and head consumed
  std::uint64_t excess_ = 0;  // HR5
};

}  // namespace goro::http::detail
