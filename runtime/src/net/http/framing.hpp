// Internal. The server's checks on a parsed request head that Boost.Beast's parser leaves
// out (RFC 9112 §3.2, §6.1, §6.3; RFC 9110 §10.1.1), and what the head asks of the
// server before its body is read.
// HF1: a request whose Transfer-Encoding (all its lines, as one comma list) does not end in
//      `chunked`, names `chunked` twice, or comes with a Content-Length is a 400: its body's
//      length is not known, so nothing after its head can be read as a next request.
// HF2: codings before the final `chunked` are a 501: the server decodes none (as Go).
// HF3: a Transfer-Encoding in HTTP/1.0 is faulty framing (§6.1): the message is served and
//      the connection closed after it.
// HF4: HTTP/1.1 requires exactly one Host, HTTP/1.0 at most one; its value is a host[:port]
//      (Go's httpguts.ValidHostHeader). Else 400.
// HF5: an Expect other than 100-continue is a 417 (as Go); 100-continue in HTTP/1.1 with a
//      body to come makes the server answer `100 Continue` before it reads the body.
// Every status this returns is answered and the connection closed (the reader never
// parses what follows: server.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/beast/http/message.hpp>

namespace goro::http::detail {

struct head_verdict {
  int status = 0;                // 0: serve the request; else answer this and close
  std::string_view why;          // that answer's body (a static string)
  bool close_after = false;      // HF3: serve it, then close the connection
  bool expect_continue = false;  // HF5: write 100 Continue before reading the body
};

// `h`: the head as Beast parsed it; `beast_chunked`: Beast will read the body as chunked;
// `content_length`: the length Beast will read, if any. Any fiber; no side effects.
head_verdict check_request_head(const boost::beast::http::request_header<>& h, bool beast_chunked,
                                std::optional<std::uint64_t> content_length);

}  // namespace goro::http::detail
