// goro::http's server as an attacker (or a buggy handler) finds it: what it writes and when
// it gives up on a connection. Each test is one attack of issue 14, on real loopback sockets:
// handlers that throw anything, secrets in exception texts, header injection through
// response::headers, bodies on HEAD/204/304, statuses out of range, a client that never
// reads its responses, a slow head or body, idle and over-used kept-alive connections, and a
// client still sending when it is answered (lingering close). The verdicts are the bytes on
// the wire, how the connection ended and counts (log lines, fibers); the timeouts are small
// so the tests are quick, but no verdict depends on how long anything took.
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include <goro/net/http.hpp>

#include "goro_test.hpp"
#include "http_wire.hpp"
#include "net/http/error_log.hpp"

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

using HttpSecurityResponsesTest = goro_test::RuntimeTest;

// The lines a server wrote to its error_log (from its connection fibers).
struct log_lines {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view line) {
      std::lock_guard g(mu);
      lines.emplace_back(line);
    };
  }
  std::vector<std::string> get() {
    std::lock_guard g(mu);
    return lines;
  }
};

// What a client read, and how the connection ended: "eof" (the server closed cleanly),
// "reset" (ECONNRESET/EPIPE: the server closed with bytes of ours unread) or "deadline"
// (no end at all: only a hang gets there).
struct reply {
  std::string bytes;
  std::string end;
};

reply read_reply(net::stream& s) {
  reply r;
  s.set_read_deadline(std::chrono::steady_clock::now() + 60s);
  char buf[16 * 1024];
  try {
    while (std::size_t n = s.read(buf, sizeof buf)) r.bytes.append(buf, n);
    r.end = "eof";
  } catch (const net::timeout_error&) {
    r.end = "deadline";
  } catch (const std::system_error&) {
    r.end = "reset";
  }
  return r;
}

// The first response's head (through its blank line) and what follows it.
std::pair<std::string, std::string> split_head(const std::string& wire) {
  auto end = wire.find("\r\n\r\n");
  if (end == std::string::npos) return {wire, ""};
  return {wire.substr(0, end + 4), wire.substr(end + 4)};
}

const std::string generic_500 =
    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 22\r\n";

// issue 14: `throw 42;` in a handler ended the process ("fiber 2 (http conn) ended with an
// unhandled exception"). Any exception is a 500; the server goes on serving.
TEST_P(HttpSecurityResponsesTest, NonStdExceptionIsA500AndTheServerGoesOn) {
  log_lines log;
  running r(
      [](const http::request& rq, http::response& rs) {
        if (rq.target == "/int") throw 42;
        rs.body = "still here";
      },
      {.error_log = log.sink()});
  auto out = wire::roundtrip(r.addr,
                             "GET /int HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(out, StartsWith(generic_500)) << out;
  EXPECT_THAT(out, HasSubstr("\r\n\r\nInternal Server Error\n")) << out;
  EXPECT_THAT(out, HasSubstr("\r\n\r\nstill here")) << out;  // the same connection, kept alive
  EXPECT_THAT(log.get(), ::testing::ElementsAre(
                             "goro::http: handler for GET /int threw: a non-std exception"));
}

// issue 14: the 500's body carried the exception's what() (secrets in error messages reached
// the client). The body is generic; the text goes to the error log, one line.
TEST_P(HttpSecurityResponsesTest, ExceptionTextNeverReachesTheClient) {
  log_lines log;
  running r(
      [](const http::request&, http::response& rs) {
        rs.set_header("X-Partial", "set before the throw");
        rs.body = "partial";
        throw std::runtime_error("db password=hunter2\nsecond line");
      },
      {.error_log = log.sink()});
  auto out =
      wire::roundtrip(r.addr, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(out, StartsWith(generic_500)) << out;
  EXPECT_THAT(out, Not(HasSubstr("hunter2"))) << out;
  EXPECT_THAT(out, Not(HasSubstr("X-Partial"))) << out;  // nothing of the failed response
  EXPECT_THAT(out, Not(HasSubstr("partial"))) << out;
  EXPECT_THAT(log.get(), ::testing::ElementsAre("goro::http: handler for POST /login threw: db "
                                                "password=hunter2 second line"));
}

// issue 14: a CR/LF in a header value set through response::headers (not set_header) was
// written as is: an injected Set-Cookie line. Such a response is replaced by a 500 and the
// cause logged; a bad name (not a token) and a NUL are refused the same way.
TEST_P(HttpSecurityResponsesTest, HeaderInjectionThroughHeadersIsA500) {
  log_lines log;
  running r(
      [](const http::request& rq, http::response& rs) {
        if (rq.target == "/crlf") rs.headers.push_back({"X-A", "v\r\nSet-Cookie: evil=1"});
        if (rq.target == "/lf") rs.headers.push_back({"X-A", "v\nSet-Cookie: evil=1"});
        if (rq.target == "/nul") rs.headers.push_back({"X-A", std::string("v\0w", 3)});
        if (rq.target == "/name") rs.headers.push_back({"Set-Cookie: evil=1\r\nX", "v"});
        if (rq.target == "/space") rs.headers.push_back({"Bad Name", "v"});
        if (rq.target == "/empty") rs.headers.push_back({"", "v"});
        rs.body = "body";
      },
      {.error_log = log.sink()});
  for (const char* target : {"/crlf", "/lf", "/nul", "/name", "/space", "/empty"}) {
    auto out = wire::roundtrip(r.addr, fmt::format("GET {} HTTP/1.1\r\nHost: x\r\n\r\n", target));
    EXPECT_THAT(out, StartsWith(generic_500)) << target << ": " << out;
    EXPECT_THAT(out, Not(HasSubstr("evil"))) << target << ": " << out;
    EXPECT_THAT(out, Not(HasSubstr("body"))) << target << ": " << out;
  }
  auto lines = log.get();
  ASSERT_EQ(lines.size(), 6u);
  for (auto& l : lines) EXPECT_THAT(l, StartsWith("goro::http: handler for GET /")) << l;
  for (auto& l : lines) EXPECT_THAT(l, HasSubstr("invalid response")) << l;
  for (auto& l : lines) EXPECT_THAT(l, Not(HasSubstr("\n"))) << l;
}

// issue 14: HEAD answers carried a body (curl: "Excess found"). They carry the Content-Length
// of the body a GET would get, and nothing after the head: the next response follows at once.
TEST_P(HttpSecurityResponsesTest, HeadAnswerHasContentLengthAndNoBody) {
  running r([](const http::request& rq, http::response& rs) {
    rs.body = rq.target == "/after" ? "after" : "hello world";
  });
  auto out = wire::roundtrip(r.addr,
                             "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto [head, rest] = split_head(out);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_THAT(head, HasSubstr("\r\nContent-Length: 11\r\n")) << out;
  EXPECT_THAT(rest, StartsWith("HTTP/1.1 200 OK\r\n")) << out;  // no body in between
  EXPECT_EQ(count(out, "hello"), 0) << out;
  EXPECT_EQ(split_head(rest).second, "after") << out;
}

// issue 14: 204 and 304 answers carried a body and a Content-Length. They carry neither.
TEST_P(HttpSecurityResponsesTest, NoContentAndNotModifiedHaveNoBodyNorContentLength) {
  running r([](const http::request& rq, http::response& rs) {
    if (rq.target == "/204") rs.status = 204;
    if (rq.target == "/304") rs.status = 304;
    rs.body = rq.target == "/after" ? "after" : "illegal body";
  });
  for (const char* status : {"204", "304"}) {
    auto out = wire::roundtrip(r.addr, fmt::format("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n"
                                                   "GET /after HTTP/1.1\r\nHost: x\r\n"
                                                   "Connection: close\r\n\r\n",
                                                   status));
    auto [head, rest] = split_head(out);
    EXPECT_THAT(head, StartsWith(fmt::format("HTTP/1.1 {} ", status))) << out;
    EXPECT_THAT(head, Not(HasSubstr("Content-Length"))) << out;
    EXPECT_THAT(head, Not(HasSubstr("Transfer-Encoding"))) << out;
    EXPECT_THAT(rest, StartsWith("HTTP/1.1 200 OK\r\n")) << out;  // nothing in between
    EXPECT_EQ(count(out, "illegal"), 0) << out;
  }
}

// issue 14: statuses -5 and 1000 went out as "HTTP/1.1 -5 <unknown-status>". A status outside
// 200..599 set by a handler (1xx too: goro serves no upgrades or informational answers from
// handlers) is replaced by a 500 and logged.
TEST_P(HttpSecurityResponsesTest, StatusOutOfRangeIsA500) {
  log_lines log;
  running r(
      [](const http::request& rq, http::response& rs) {
        rs.status = std::stoi(rq.target.substr(1));
        rs.body = "body";
      },
      {.error_log = log.sink()});
  const std::vector<std::string> bad = {"-5", "1000", "0", "99", "600", "100", "101", "103"};
  for (auto& status : bad) {
    auto out = wire::roundtrip(r.addr, fmt::format("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", status));
    EXPECT_THAT(out, StartsWith(generic_500)) << status << ": " << out;
  }
  auto lines = log.get();
  ASSERT_EQ(lines.size(), bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i)
    EXPECT_THAT(lines[i], HasSubstr(fmt::format("invalid response: status {} ", bad[i])))
        << lines[i];
  // The edges that are valid go out as set.
  EXPECT_THAT(wire::roundtrip(r.addr, "GET /200 HTTP/1.1\r\nHost: x\r\n\r\n"),
              StartsWith("HTTP/1.1 200 "));
  EXPECT_THAT(wire::roundtrip(r.addr, "GET /599 HTTP/1.1\r\nHost: x\r\n\r\n"),
              StartsWith("HTTP/1.1 599 "));
}

// issue 14: a client that pipelines requests for a large response and never reads pinned a
// fiber, a descriptor and the response buffer forever, and shutdown() waited for it. The
// response write ends at write_timeout: the connection's fiber ends, and shutdown() returns.
TEST_P(HttpSecurityResponsesTest, NeverReadingClientIsDroppedAndShutdownReturns) {
  auto r = std::make_unique<running>(
      [](const http::request&, http::response& rs) { rs.body.assign(32 << 20, 'x'); },
      http::server_options{.write_timeout = 200ms});
  auto s = net::dial(r->addr);
  s.write_all("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  goro_test::wait_until("the server handled the first request",
                        [&] { return r->srv.requests() >= 1; });
  goro_test::bounded("shutdown() returned", [&] { r->srv.shutdown(); });
  // shutdown() returns once the connection's fiber is done; the fiber then ends.
  goro_test::wait_until("the connection's fiber ended", [] {
    for (auto& f : goro::list_fibers(false))
      if (f.name == "http conn") return false;
    return true;
  });
  r.reset();                  // serve() returned too: the listener is closed
  auto rest = read_reply(s);  // what the kernel buffered, then the end
  EXPECT_NE(rest.end, "deadline");
  EXPECT_LT(rest.bytes.size(), std::size_t{2 * (32 << 20)});  // not both responses whole
}

// A slow head: the first bytes of a request, then nothing. read_header_timeout ends it with a
// 408 (the verdict is the status, not the time it took).
TEST_P(HttpSecurityResponsesTest, SlowHeadGets408) {
  running r([](const http::request&, http::response& rs) { rs.body = "never"; },
            {.read_header_timeout = 100ms, .read_timeout = 1h, .idle_timeout = 1h});
  auto out = wire::roundtrip(r.addr, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", false);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 408 Request Timeout\r\n")) << out;
  EXPECT_THAT(out, HasSubstr("Connection: close\r\n")) << out;
}

// A slow head on a kept-alive connection: one whole request, its answer, then the first bytes
// of the next request and nothing more. That head's deadline (read_header_timeout from its
// first byte) is set before the server reads on, not left at the idle wait's: a 408.
// (read_header_timeout also bounds the first request from the connection's start: 1 s is
// time enough to read it on a loaded machine.)
TEST_P(HttpSecurityResponsesTest, SlowHeadOfTheNextRequestGets408) {
  running r([](const http::request&, http::response& rs) { rs.body = "one"; },
            {.read_header_timeout = 1s, .read_timeout = 1h, .idle_timeout = 1h});
  auto s = net::dial(r.addr);
  s.write_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
  std::string got(first.size(), '\0');
  s.read_full(got.data(), got.size());
  ASSERT_EQ(got, first);
  s.write_all("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  auto rest = read_reply(s);
  EXPECT_THAT(rest.bytes, StartsWith("HTTP/1.1 408 Request Timeout\r\n")) << rest.bytes;
  EXPECT_EQ(rest.end, "eof");
}

// A slow body: a whole head, then part of the body. read_timeout ends it with a 408.
TEST_P(HttpSecurityResponsesTest, SlowBodyGets408) {
  running r([](const http::request&, http::response& rs) { rs.body = "never"; },
            {.read_header_timeout = 1h, .read_timeout = 100ms, .idle_timeout = 1h});
  auto out = wire::roundtrip(r.addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf",
                             false);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 408 Request Timeout\r\n")) << out;
}

// A connection that sends nothing at all is closed at read_header_timeout, silently (no
// request started: nothing to answer), as Go does.
TEST_P(HttpSecurityResponsesTest, SilentNewConnectionIsClosedWithoutAnAnswer) {
  running r([](const http::request&, http::response& rs) { rs.body = "never"; },
            {.read_header_timeout = 100ms, .read_timeout = 1h, .idle_timeout = 1h});
  auto s = net::dial(r.addr);
  auto got = read_reply(s);
  EXPECT_EQ(got.bytes, "");
  EXPECT_EQ(got.end, "eof");
}

// A kept-alive connection waiting for its next request is closed at idle_timeout, silently.
TEST_P(HttpSecurityResponsesTest, IdleKeptAliveConnectionIsClosedSilently) {
  running r([](const http::request&, http::response& rs) { rs.body = "one"; },
            {.read_header_timeout = 1h, .read_timeout = 1h, .idle_timeout = 100ms});
  auto s = net::dial(r.addr);
  s.write_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto got = read_reply(s);
  EXPECT_EQ(got.bytes, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
  EXPECT_EQ(got.end, "eof");
}

// max_requests_per_connection: the last request's answer carries Connection: close and the
// server closes; the pipelined requests after it are not served.
TEST_P(HttpSecurityResponsesTest, MaxRequestsPerConnectionClosesAfterTheLast) {
  running r([](const http::request& rq, http::response& rs) { rs.body = rq.target; },
            {.max_requests_per_connection = 3});
  std::string pipelined;
  for (int i = 1; i <= 5; ++i) pipelined += fmt::format("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", i);
  auto s = net::dial(r.addr);
  s.write_all(pipelined);  // and keep the connection open: the server is the one to close
  auto got = read_reply(s);
  EXPECT_EQ(count(got.bytes, "HTTP/1.1 200 OK\r\n"), 3) << got.bytes;
  EXPECT_EQ(count(got.bytes, "Connection: close\r\n"), 1) << got.bytes;
  EXPECT_THAT(got.bytes, ::testing::EndsWith("Connection: close\r\n\r\n/3")) << got.bytes;
  EXPECT_NE(got.end, "deadline");
}

// issue 14: the 431 for a huge header was sent just before a reset, so clients could miss it.
// The client here sends its whole oversized head, then reads: the server answers, stops
// writing, and drains what the client still sends before closing (lingering close), so the
// client reads the 431 and a clean end of stream, not a reset.
TEST_P(HttpSecurityResponsesTest, LingeringCloseLets431BeRead) {
  running r([](const http::request&, http::response& rs) { rs.body = "never"; },
            {.max_header_bytes = 1024});
  auto s = net::dial(r.addr);
  s.write_all("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(128 * 1024, 'a') + "\r\n\r\n");
  s.shutdown_write();
  auto got = read_reply(s);
  EXPECT_THAT(got.bytes, StartsWith("HTTP/1.1 431 ")) << got.bytes;
  EXPECT_EQ(got.end, "eof");
}

// The same for a 400: a malformed request line followed by more bytes.
TEST_P(HttpSecurityResponsesTest, LingeringCloseLets400BeRead) {
  running r([](const http::request&, http::response& rs) { rs.body = "never"; });
  auto s = net::dial(r.addr);
  s.write_all("NOT HTTP AT ALL\r\n\r\n" + std::string(128 * 1024, 'z'));
  s.shutdown_write();
  auto got = read_reply(s);
  EXPECT_THAT(got.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n")) << got.bytes;
  EXPECT_EQ(got.end, "eof");
}

// A zero or negative duration and a zero size are refused by the constructor, naming the
// option (Go's zero means "no limit"; goro's is nanoseconds::max()).
TEST(HttpServerOptionsTest, ZeroOrNegativeLimitsAreRefusedByName) {
  auto refused = [](http::server_options o) -> std::string {
    try {
      http::server srv([](const http::request&, http::response&) {}, std::move(o));
    } catch (const goro::option_error& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_THAT(refused({.max_header_bytes = 0}), HasSubstr("max_header_bytes"));
  EXPECT_THAT(refused({.max_body_bytes = 0}), HasSubstr("max_body_bytes"));
  EXPECT_THAT(refused({.read_header_timeout = 0s}), HasSubstr("read_header_timeout"));
  EXPECT_THAT(refused({.read_header_timeout = -1s}), HasSubstr("read_header_timeout"));
  EXPECT_THAT(refused({.read_timeout = 0s}), HasSubstr("read_timeout"));
  EXPECT_THAT(refused({.write_timeout = -5ms}), HasSubstr("write_timeout"));
  EXPECT_THAT(refused({.idle_timeout = 0s}), HasSubstr("idle_timeout"));
  EXPECT_EQ(refused({.max_requests_per_connection = 0}), "accepted");  // 0: no limit
  EXPECT_EQ(refused({.read_timeout = std::chrono::nanoseconds::max()}), "accepted");
}

// The default error log (stderr) lets 10 lines a second through and counts the rest; the
// count goes out with the next line that gets through. The clock is the test's.
TEST(HttpErrorLogTest, DefaultLogIsRateLimitedAndCountsWhatItDrops) {
  using clock = std::chrono::steady_clock;
  clock::time_point now{};
  std::vector<std::string> out;
  goro::http::detail::rate_limited_log log([&] { return now; },
                                           [&](std::string_view l) { out.emplace_back(l); });
  for (int i = 0; i < 25; ++i) log(fmt::format("line {}", i));  // all within one second
  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out.front(), "line 0");
  EXPECT_EQ(out.back(), "line 9");
  now += 999ms;
  log("still the same second");
  EXPECT_EQ(out.size(), 10u);
  now += 1ms;
  log("next second");
  ASSERT_EQ(out.size(), 11u);
  EXPECT_EQ(out.back(), "next second (16 earlier lines suppressed)");
  log("and another");
  EXPECT_EQ(out.back(), "and another");
}

GORO_INSTANTIATE(HttpSecurityResponsesTest, 1, 2);

}  // namespace
