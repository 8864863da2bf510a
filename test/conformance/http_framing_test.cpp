// Go's net/http request framing tests, ported onto goro::http's server on loopback (raw bytes
// in, the status out). Each test names the Go test it ports and the Go file it is in.
// Differences on purpose:
// - A Transfer-Encoding that does not end in chunked is a 400 (RFC 9112 §6.3), not Go's 501;
//   codings before the final chunked are a 501 (as Go). Go ignores Transfer-Encoding in
//   HTTP/1.0; goro reads the chunked body and closes after it (RFC 9112 §6.1).
// - The request body is read before the handler runs, within max_body_bytes: a handler that
//   leaves it unread does not close the connection (Go closes after 256 KiB unread), and a
//   handler cannot refuse an Expect: 100-continue body (the server answers 100 Continue,
//   then reads it). A body over max_body_bytes is a 413 and a close (Go: MaxBytesReader).
// - Versions Beast does not parse (HTTP/0.9, HTTP/2.0) are a 400 (Go: 505), and CONNECT
//   needs a Host like any HTTP/1.1 request (Go makes an exception, issue 18215).
// - Chunk framing counts against max_header_bytes (Go: its own 16 KiB excess): a 431.
#include <string>

#include <gmock/gmock.h>

#include <goro/net/http.hpp>

#include "../net/http_wire.hpp"
#include "conformance.hpp"
#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
namespace http = goro::http;
namespace net = goro::net;
namespace wire = goro_test::http_wire;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using HttpFramingConformanceTest = goro_test::RuntimeTest;

void echo(const http::request& rq, http::response& rs) {
  rs.body = rq.method + " " + rq.target + " [" + rq.body + "]";
}

// The status code of the first response in `out`; 0 if there is none.
int status_of(const std::string& out) {
  if (out.rfind("HTTP/1.1 ", 0) != 0 || out.size() < 12) return 0;
  return std::stoi(out.substr(9, 3));
}

struct case_ {
  std::string wire;
  int want;
};

void expect_statuses(const std::string& addr, const std::vector<case_>& cases) {
  for (const auto& c : cases) {
    const std::string out = wire::roundtrip(addr, c.wire);
    EXPECT_EQ(status_of(out), c.want)
        << "request: " << ::testing::PrintToString(c.wire) << "\nanswer: " << out.substr(0, 200);
  }
}

// Go: TestServerValidatesHostHeader (serve_test.go).
TEST_P(HttpFramingConformanceTest, ServerValidatesHostHeader) {
  wire::running r(echo);
  auto rq = [](std::string proto_line, std::string host) {
    return proto_line + "\r\n" + host + "Connection: close\r\n\r\n";
  };
  expect_statuses(r.addr, {
                              {rq("GET / HTTP/0.9", ""), 400},  // Go: 505
                              {rq("GET / HTTP/1.1", ""), 400},
                              {rq("GET / HTTP/1.1", "Host: \r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: 1.2.3.4\r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: foo.com\r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: foo-bar_baz.com\r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: foo.com:80\r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: ::1\r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: [::1]\r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: [::1]:80\r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: [::1%25en0]:80\r\n"), 200},
                              {rq("GET / HTTP/1.1", "Host: \x06\r\n"), 400},
                              {rq("GET / HTTP/1.1", "Host: \xff\r\n"), 400},
                              {rq("GET / HTTP/1.1", "Host: {\r\n"), 400},
                              {rq("GET / HTTP/1.1", "Host: }\r\n"), 400},
                              {rq("GET / HTTP/1.1", "Host: first\r\nHost: second\r\n"), 400},
                              // HTTP/1.0 can lack a Host, but one present plays by the rules.
                              {rq("GET / HTTP/1.0", ""), 200},
                              {rq("GET / HTTP/1.0", "Host: first\r\nHost: second\r\n"), 400},
                              {rq("GET / HTTP/1.0", "Host: \xff\r\n"), 400},
                              {rq("PRI * HTTP/2.0", ""), 400},                   // Go: 200
                              {rq("CONNECT golang.org:443 HTTP/1.1", ""), 400},  // Go: 200
                              {rq("PRI / HTTP/2.0", ""), 400},                   // Go: 505
                              {rq("GET / HTTP/2.0", ""), 400},                   // Go: 505
                              {rq("GET / HTTP/3.0", ""), 400},                   // Go: 505
                          });
}

// Go: TestServerValidatesHeaders (serve_test.go). Go's 1 MiB head limit is goro's 64 KiB.
TEST_P(HttpFramingConformanceTest, ServerValidatesHeaders) {
  wire::running r(echo);
  auto rq = [](std::string header) {
    return "GET / HTTP/1.1\r\nHost: foo\r\nConnection: close\r\n" + header + "\r\n";
  };
  expect_statuses(r.addr, {
                              {rq(""), 200},
                              {rq("Foo: bar\r\n"), 200},
                              {rq("X-Foo: bar\r\n"), 200},
                              {rq("Foo: a space\r\n"), 200},
                              {rq("A space: foo\r\n"), 400},
                              {rq(std::string("foo\xff"
                                              "bar: foo\r\n")),
                               400},
                              {rq(std::string("foo\0bar: foo\r\n", 15)), 400},
                              {rq("Foo: " + std::string(1 << 21, 'x') + "\r\n"), 431},
                              {rq("Foo : bar\r\n"), 400},
                              {rq("Foo\t: bar\r\n"), 400},
                              {rq(": empty key\r\n"), 400},
                              {rq("Content-Length: notdigits\r\n"), 400},
                              {rq("Content-Length: notdigits\r\nTransfer-Encoding: chunked\r\n"
                                  "\r\n0\r\n"),
                               400},
                              {rq("foo: foo foo\r\n"), 200},
                              {rq("foo: foo\tfoo\r\n"), 200},
                              {rq(std::string("foo: foo\0foo\r\n", 14)), 400},
                              {rq("foo: foo\x7f"
                                  "foo\r\n"),
                               400},
                              {rq("foo: foo\xff"
                                  "foo\r\n"),
                               200},
                          });
}

// Go: TestParseTransferEncoding (transfer_test.go), as statuses (Go: 501 for each error).
TEST_P(HttpFramingConformanceTest, ParseTransferEncoding) {
  wire::running r(echo);
  auto rq = [](std::string te) {
    return "POST / HTTP/1.1\r\nHost: foo\r\nConnection: close\r\n" + te + "\r\n0\r\n\r\n";
  };
  expect_statuses(r.addr,
                  {
                      {rq("Transfer-Encoding: fugazi\r\n"), 400},
                      {rq("Transfer-Encoding: chunked, chunked\r\nTransfer-Encoding: "
                          "identity\r\nTransfer-Encoding: chunked\r\n"),
                       400},
                      {rq("Transfer-Encoding: \r\n"), 400},
                      {rq("Transfer-Encoding: chunked, identity\r\n"), 400},
                      {rq("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"), 400},
                      {rq("Transfer-Encoding: \x0b"
                          "chunked\r\n"),
                       400},
                      {rq("Transfer-Encoding: chunked\r\n"), 200},
                      // goro: a coding before chunked is understood, not supported.
                      {rq("Transfer-Encoding: gzip, chunked\r\n"), 501},
                  });
}

// Go: TestReadRequestErrors (readrequest_test.go), the Content-Length and Host cases, as
// statuses (a Host added where Go's ReadRequest does not need one).
TEST_P(HttpFramingConformanceTest, ReadRequestErrors) {
  wire::running r(echo);
  const std::string h = "Host: foo\r\nConnection: close\r\n";
  expect_statuses(
      r.addr,
      {
          {"POST / HTTP/1.1\r\n" + h +
               "Content-Length: 10\r\nContent-Length: 0\r\n\r\nGopher hey\r\n",
           400},
          {"POST / HTTP/1.1\r\n" + h + "Content-Length: 10\r\nContent-Length: 6\r\n\r\nGopher\r\n",
           400},
          {"PUT / HTTP/1.1\r\n" + h +
               "Content-Length: 6 \r\nContent-Length: 6\r\nContent-Length:6\r\n\r\nGopher\n",
           200},
          {"PUT / HTTP/1.1\r\n" + h + "Content-Length: 1\r\nContent-Length: 6 \r\n\r\n", 400},
          {"PUT / HTTP/1.1\r\n" + h + "Content-Length: \r\nContent-Length: 3\r\n\r\n", 400},
          {"POST / HTTP/1.1\r\n" + h + "Content-Length:\r\nContent-Length: 3\r\n\r\n", 400},
          {"HEAD / HTTP/1.1\r\n" + h + "Content-Length:0\r\nContent-Length: 0\r\n\r\n", 200},
          {"HEAD / HTTP/1.1\r\nHost: foo\r\nHost: bar\r\n\r\n\r\n\r\n", 400},
      });
}

// Go: TestServerExpect (serve_test.go), the cases where the handler reads the body, and the
// non-standard expectation (417).
TEST_P(HttpFramingConformanceTest, ServerExpect) {
  wire::running r(echo);
  struct expect_case {
    std::string expectation;
    bool chunked;
    int content_length;
    std::string first;  // the first status line the client reads
  };
  const std::vector<expect_case> cases = {
      {"100-continue", false, 100, "HTTP/1.1 100 Continue\r\n\r\n"},
      {"100-cOntInUE", false, 100, "HTTP/1.1 100 Continue\r\n\r\n"},
      {"", false, 100, "HTTP/1.1 200 OK\r\n"},
      {"a-pony", false, 0, "HTTP/1.1 417 Expectation Failed\r\n"},
      {"100-continue", false, 0, "HTTP/1.1 200 OK\r\n"},  // no body: no 100 (Go issue 7625)
      {"100-continue", true, 0, "HTTP/1.1 100 Continue\r\n\r\n"},
  };
  for (const auto& c : cases) {
    auto s = net::dial(r.addr, 10s);
    std::string head = "POST / HTTP/1.1\r\nHost: foo\r\nConnection: close\r\n";
    if (!c.expectation.empty()) head += "Expect: " + c.expectation + "\r\n";
    head += c.chunked ? "Transfer-Encoding: chunked\r\n"
                      : "Content-Length: " + std::to_string(c.content_length) + "\r\n";
    s.write_all(head + "\r\n");
    // The body follows only once the server asked for it, or if the client does not wait.
    const bool waits = c.expectation == "100-continue" || c.expectation == "100-cOntInUE";
    const std::string body =
        c.chunked ? "5\r\nhello\r\n0\r\n\r\n" : std::string(c.content_length, 'x');
    std::string got;
    if (waits) {
      s.set_read_deadline(std::chrono::steady_clock::now() + conformance::patience);
      char ch;
      try {
        while (got.size() < c.first.size() && s.read(&ch, 1) == 1) got += ch;
      } catch (const std::system_error& e) {
        got += std::string("<<") + e.what() + ">>";
      }
      EXPECT_EQ(got, c.first) << "Expect: " << c.expectation;
      if (c.first.find(" 100 ") != std::string::npos) s.write_all(body);
      got += wire::read_to_close(s);
    } else {
      if (c.expectation.empty()) s.write_all(body);
      got = wire::read_to_close(s);
      EXPECT_THAT(got, StartsWith(c.first)) << "Expect: " << c.expectation;
    }
    if (c.expectation != "a-pony") {
      EXPECT_THAT(got, HasSubstr("HTTP/1.1 200 OK\r\n"));
    }
  }
}

// Go: TestServerUnreadRequestBodyLittle (serve_test.go): the handler leaves a small body
// unread; the connection is still usable.
TEST_P(HttpFramingConformanceTest, ServerUnreadRequestBodyLittle) {
  wire::running r([](const http::request&, http::response& rs) { rs.body = "ok"; });
  const std::string out =
      wire::roundtrip(r.addr,
                      "POST / HTTP/1.1\r\nHost: foo\r\nContent-Length: 5\r\n\r\nhello"
                      "GET /next HTTP/1.1\r\nHost: foo\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(wire::count(out, "HTTP/1.1 200 OK\r\n"), 2) << out;
}

// Go: TestServerUnreadRequestBodyLarge (serve_test.go), with goro's rule: a body within
// max_body_bytes is read before the handler anyway (the connection stays); one past it is
// a 413 and a close, sent without reading the body.
TEST_P(HttpFramingConformanceTest, ServerUnreadRequestBodyLarge) {
  wire::running r([](const http::request&, http::response& rs) { rs.body = "ok"; },
                  {.max_body_bytes = 256 << 10});
  const std::string within =
      wire::roundtrip(r.addr, "POST / HTTP/1.1\r\nHost: foo\r\nContent-Length: 262144\r\n\r\n" +
                                  std::string(256 << 10, 'x') +
                                  "GET /next HTTP/1.1\r\nHost: foo\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(wire::count(within, "HTTP/1.1 200 OK\r\n"), 2) << within.substr(0, 200);
  auto s = net::dial(r.addr, 10s);
  s.write_all("POST / HTTP/1.1\r\nHost: foo\r\nContent-Length: 262145\r\n\r\n");
  const std::string past = wire::read_to_close(s);
  EXPECT_THAT(past, StartsWith("HTTP/1.1 413 ")) << past;
  EXPECT_THAT(past, HasSubstr("Connection: close\r\n"));
}

// Go: TestRequestBodyLimit (serve_test.go): a chunked body past the limit is refused (Go:
// MaxBytesReader's error; goro: 413 and a close).
TEST_P(HttpFramingConformanceTest, RequestBodyLimit) {
  wire::running r(echo, {.max_body_bytes = 1024});
  std::string body;
  for (int i = 0; i < 8; ++i) body += "100\r\n" + std::string(256, 'x') + "\r\n";
  const std::string out =
      wire::roundtrip(r.addr, "POST / HTTP/1.1\r\nHost: foo\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                  body + "0\r\n\r\n");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 413 ")) << out;
  EXPECT_EQ(wire::count(out, "HTTP/1.1 "), 1) << out;
}

// Go: TestContentLengthZero (serve_test.go): an empty answer says Content-Length: 0, in
// HTTP/1.0 and 1.1.
TEST_P(HttpFramingConformanceTest, ContentLengthZero) {
  wire::running r([](const http::request&, http::response&) {});
  for (std::string version : {"HTTP/1.0", "HTTP/1.1"}) {
    const std::string out =
        wire::roundtrip(r.addr, "GET / " + version + "\r\nHost: foo\r\nConnection: close\r\n\r\n");
    EXPECT_THAT(out, HasSubstr("\r\nContent-Length: 0\r\n")) << version << ": " << out;
  }
}

// Go: TestChunkReadingIgnoresExtensions (internal/chunked_test.go).
TEST_P(HttpFramingConformanceTest, ChunkReadingIgnoresExtensions) {
  wire::running r(echo);
  const std::string out = wire::roundtrip(
      r.addr,
      "POST / HTTP/1.1\r\nHost: foo\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "7;ext=\"some quoted string\"\r\nhello, \r\n"
      "17;someext\r\nworld! 0123456789abcdef\r\n"
      "0;someextension=sometoken\r\n\r\n");
  EXPECT_THAT(out, HasSubstr("[hello, world! 0123456789abcdef]")) << out;
}

// Go: TestChunkReaderByteAtATime (internal/chunked_test.go): one byte a chunk is
// legitimate streaming, whatever the ratio of framing to data.
TEST_P(HttpFramingConformanceTest, ChunkReaderByteAtATime) {
  wire::running r(echo);
  std::string body;
  for (int i = 0; i < 100'000; ++i) body += "1\r\nX\r\n";
  const std::string out =
      wire::roundtrip(r.addr,
                      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      "Connection: close\r\n\r\n" +
                          body + "0\r\n\r\n");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n")) << out.substr(0, 200);
  EXPECT_THAT(out, HasSubstr("[" + std::string(100'000, 'X') + "]"));
}

// Go: TestChunkReaderTooMuchOverhead (internal/chunked_test.go): 100 bytes of extension for
// each byte of data is refused at some point (goro: 431).
TEST_P(HttpFramingConformanceTest, ChunkReaderTooMuchOverhead) {
  wire::running r(echo);
  const std::string chunk = "1;" + std::string(100, 'a') + "\r\nX\r\n";
  std::string body;
  for (int i = 0; i < 10'000; ++i) body += chunk;
  const std::string out =
      wire::roundtrip(r.addr, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                  body + "0\r\n\r\n");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 431 ")) << out.substr(0, 200);
  EXPECT_EQ(wire::count(out, "HTTP/1.1 "), 1);
}

GORO_INSTANTIATE(HttpFramingConformanceTest, 1, 2);

}  // namespace
