// Internal. Reading one HTTP message from a fiber's stream into a Boost.Beast parser.
// H1: a connection's bytes read past one message stay in its buffer for the next one
//     (pipelined requests, a response's successor on a kept-alive client connection).
#pragma once

#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <goro/net/tcp.hpp>

namespace goro::http::detail {

// Feeds `p` from `buf` and then from `s` until it holds a whole message (H1). Returns
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

}  // namespace goro::http::detail
