// Go's net/http serve_test.go, the cases about what a server writes and when it gives up on a
// connection, ported onto goro::http on loopback. Each test names the Go test it ports. Go's
// client is replaced by raw bytes and a read to the close, so the ports check the wire itself.
// Differences on purpose:
// - A handler that panics (Go: TestHandlerPanic, TestHandlerPanicNil) makes Go abort the
//   connection without an answer; a handler that throws (anything) makes goro answer a 500
//   with a generic body and keep the connection: the client learns that its request failed.
// - A handler cannot write a body on HEAD/204/304 in Go (ErrBodyNotAllowed); in goro it sets
//   response::body, which the server does not send.
// - A handler's Transfer-Encoding (Go: TestNoContentLengthIfTransferEncoding) is dropped: the
//   body is a string, framed by goro's Content-Length, and a response never carries both.
// - Go never answers a timed-out read; goro answers 408 when a request had started (a silent
//   close when none had, as Go).
#include <atomic>
#include <string>

#include <gmock/gmock.h>

#include <goro/net/http.hpp>

#include "../net/http_wire.hpp"
#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
namespace http = goro::http;
namespace net = goro::net;
using goro_test::http_wire::count;
namespace wire = goro_test::http_wire;
using goro_test::http_wire::running;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using HttpResponsesConformanceTest = goro_test::RuntimeTest;

std::pair<std::string, std::string> split_head(const std::string& wire) {
  auto end = wire.find("\r\n\r\n");
  if (end == std::string::npos) return {wire, ""};
  return {wire.substr(0, end + 4), wire.substr(end + 4)};
}

// Go: TestHeadResponses: a handler writes "<html>" and "789a" to a HEAD request; the answer
// has Content-Length 10, no Transfer-Encoding and no body.
TEST_P(HttpResponsesConformanceTest, HeadResponses) {
  running r([](const http::request&, http::response& rs) {
    rs.set_header("Content-Type", "text/html; charset=utf-8");
    rs.body = "<html>";
    rs.body += "789a";
  });
  auto out = wire::roundtrip(r.addr, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto [head, rest] = split_head(out);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_THAT(head, HasSubstr("\r\nContent-Type: text/html; charset=utf-8\r\n")) << out;
  EXPECT_THAT(head, HasSubstr("\r\nContent-Length: 10\r\n")) << out;
  EXPECT_THAT(head, Not(HasSubstr("Transfer-Encoding"))) << out;
  EXPECT_EQ(rest, "") << out;
}

// Like Go's TestHeadResponses over bodies of several lengths (0, 1, 64 KiB, 1 MiB): a HEAD's
// Content-Length is always the one its GET gets, and a pipelined GET after the HEAD is framed
// right (no body of the HEAD in between).
TEST_P(HttpResponsesConformanceTest, HeadResponseLengthsMatchGet) {
  running r([](const http::request& rq, http::response& rs) {
    rs.body.assign(std::stoul(rq.target.substr(1)), 'b');
  });
  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{64 << 10}, std::size_t{1 << 20}}) {
    auto out = wire::roundtrip(r.addr, fmt::format("HEAD /{0} HTTP/1.1\r\nHost: x\r\n\r\n"
                                                   "GET /{0} HTTP/1.1\r\nHost: x\r\n"
                                                   "Connection: close\r\n\r\n",
                                                   n));
    auto [head, rest] = split_head(out);
    auto [get_head, get_body] = split_head(rest);
    const auto length = fmt::format("\r\nContent-Length: {}\r\n", n);
    EXPECT_THAT(head, HasSubstr(length)) << n;
    EXPECT_THAT(get_head, StartsWith("HTTP/1.1 200 OK\r\n")) << n;
    EXPECT_THAT(get_head, HasSubstr(length)) << n;
    EXPECT_EQ(get_body.size(), n);
  }
}

// Go: Test304Responses: a 304 whose handler tries to write "illegal body" goes out with no
// body and no Transfer-Encoding (and, in goro, no Content-Length).
TEST_P(HttpResponsesConformanceTest, Test304Responses) {
  running r([](const http::request&, http::response& rs) {
    rs.status = 304;
    rs.body = "illegal body";
  });
  auto out = wire::roundtrip(r.addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto [head, rest] = split_head(out);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 304 Not Modified\r\n")) << out;
  EXPECT_THAT(head, Not(HasSubstr("Transfer-Encoding"))) << out;
  EXPECT_THAT(head, Not(HasSubstr("Content-Length"))) << out;
  EXPECT_EQ(rest, "") << out;
}

// Like Go's Test304Responses, for 204 No Content (RFC 9110 §15.3.5: no content, and RFC 9110
// §8.6: no Content-Length on a 204).
TEST_P(HttpResponsesConformanceTest, Test204Responses) {
  running r([](const http::request&, http::response& rs) {
    rs.status = 204;
    rs.body = "illegal body";
  });
  auto out = wire::roundtrip(r.addr, "DELETE /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto [head, rest] = split_head(out);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 204 No Content\r\n")) << out;
  EXPECT_THAT(head, Not(HasSubstr("Content-Length"))) << out;
  EXPECT_EQ(rest, "") << out;
}

// Go: TestNoContentLengthIfTransferEncoding: Go keeps the handler's Transfer-Encoding and
// sends no Content-Length. goro drops the handler's Transfer-Encoding (see the top): the
// property kept is Go's, a response never carries both.
TEST_P(HttpResponsesConformanceTest, NoContentLengthIfTransferEncoding) {
  running r([](const http::request&, http::response& rs) {
    rs.headers.push_back({"Transfer-Encoding", "foo"});
    rs.body = "<html>";
  });
  auto out = wire::roundtrip(r.addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto [head, rest] = split_head(out);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_FALSE(head.find("Transfer-Encoding") != std::string::npos &&
               head.find("Content-Length") != std::string::npos)
      << out;
  EXPECT_THAT(head, Not(HasSubstr("Transfer-Encoding"))) << out;
  EXPECT_EQ(rest, "<html>") << out;
}

// Go: TestHandlerPanic (and TestHandlerPanicNil, whose panic value is not an error): Go aborts
// the connection; goro answers 500 with a generic body and serves the next request on it.
TEST_P(HttpResponsesConformanceTest, HandlerPanic) {
  std::atomic<int> lines{0};
  running r(
      [](const http::request& rq, http::response& rs) {
        if (rq.target == "/panic") throw std::runtime_error("intentional death for testing");
        if (rq.target == "/panic-nil") throw nullptr;
        rs.body = "ok";
      },
      {.error_log = [&](std::string_view) { ++lines; }});  // one connection: one fiber at a time
  auto out = wire::roundtrip(r.addr,
                             "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /panic-nil HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count(out, "HTTP/1.1 500 Internal Server Error\r\n"), 2) << out;
  EXPECT_EQ(count(out, "\r\n\r\nInternal Server Error\n"), 2) << out;
  EXPECT_THAT(out, Not(HasSubstr("intentional"))) << out;
  EXPECT_THAT(out, ::testing::EndsWith("\r\n\r\nok")) << out;
  EXPECT_EQ(lines, 2);
}

// Go: TestServerIdleTimeout: two requests on one connection are served by it; once it has
// been idle for IdleTimeout, the server closes it (without a byte).
TEST_P(HttpResponsesConformanceTest, ServerIdleTimeout) {
  running r([](const http::request& rq, http::response& rs) { rs.body = rq.target; },
            {.read_header_timeout = 1h, .read_timeout = 1h, .idle_timeout = 100ms});
  auto s = net::dial(r.addr);
  char buf[256];
  for (const char* target : {"/1", "/2"}) {
    s.write_all(fmt::format("GET {} HTTP/1.1\r\nHost: x\r\n\r\n", target));
    std::string got;
    while (got.find(std::string("\r\n\r\n") + target) == std::string::npos) {
      auto n = s.read(buf, sizeof buf);
      ASSERT_GT(n, 0u) << got;
      got.append(buf, n);
    }
  }
  EXPECT_EQ(goro_test::http_wire::read_to_close(s), "");  // closed, not timed out here
}

// Go: TestServerTimeouts (its ReadTimeout half): a connection that sends no request is
// closed without an answer once the head's deadline passes (Go: ReadTimeout; goro:
// read_header_timeout, which bounds a head from the connection's start).
TEST_P(HttpResponsesConformanceTest, ServerTimeoutsCloseASilentConnection) {
  running r([](const http::request&, http::response& rs) { rs.body = "never"; },
            {.read_header_timeout = 100ms, .read_timeout = 1h, .idle_timeout = 1h});
  auto s = net::dial(r.addr);
  EXPECT_EQ(goro_test::http_wire::read_to_close(s), "");
}

// Go: TestOnlyWriteTimeout: with a write timeout only, a response the client does not read
// fails to be written once the timeout passes, and the connection is dropped; the server
// serves other connections meanwhile.
TEST_P(HttpResponsesConformanceTest, OnlyWriteTimeout) {
  running r(
      [](const http::request& rq, http::response& rs) {
        if (rq.target == "/big")
          rs.body.assign(32 << 20, 'x');
        else
          rs.body = "small";
      },
      {.write_timeout = 200ms});
  auto stuck = net::dial(r.addr);
  stuck.write_all("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");  // never read
  EXPECT_EQ(http::get("http://" + r.addr + "/small").body, "small");
  goro_test::wait_until("every connection of the server ended", [] {
    for (auto& f : goro::list_fibers(false))
      if (f.name == "http conn") return false;
    return true;
  });
  auto rest = goro_test::http_wire::read_to_close(stuck);  // what the kernel buffered
  EXPECT_THAT(rest, Not(HasSubstr("no close before the deadline")));
  EXPECT_LT(rest.size(), std::size_t{32 << 20});
}

GORO_INSTANTIATE(HttpResponsesConformanceTest, 1, 2);

}  // namespace
