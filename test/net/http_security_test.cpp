// goro::http's server probed as an attacker would (issue 14), on loopback with the exact bytes
// sent: request smuggling through Transfer-Encoding, Host rules, floods of chunk extensions,
// trailers and empty lines against the head limit, Expect: 100-continue. Each answer is the
// one RFC 9112 asks for, and the bytes after a framing error are never served as a request
// (a smuggled `GET /smuggled` never gets an answer). Memory under a flood is checked as a
// count: server::peak_buffered_bytes().
#include <string>

#include <gmock/gmock.h>

#include <goro/net/http.hpp>

#include "goro_test.hpp"
#include "http_wire.hpp"

namespace {

using namespace std::chrono_literals;
namespace http = goro::http;
namespace net = goro::net;
using goro_test::http_wire::count;
namespace wire = goro_test::http_wire;
using goro_test::http_wire::read_to_close;
using goro_test::http_wire::running;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using HttpSecurityTest = goro_test::RuntimeTest;

void echo(const http::request& rq, http::response& rs) {
  rs.body = rq.method + " " + rq.target + " [" + rq.body + "]";
}

// The request a smuggler hides in a body the server should not take as one.
const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

// A POST whose framing headers are `te` (their lines, each ending in CRLF), with the
// smuggled request as what follows its head.
std::string smuggle(const std::string& te) {
  return "POST / HTTP/1.1\r\nHost: x\r\n" + te + "\r\n" + smuggled;
}

// Exactly one answer, with `status`, and nothing served from the bytes after the head.
void expect_one_answer(const std::string& out, std::string_view status) {
  EXPECT_THAT(out, StartsWith("HTTP/1.1 " + std::string(status) + " ")) << out;
  EXPECT_EQ(count(out, "HTTP/1.1 "), 1) << out;
  EXPECT_THAT(out, Not(HasSubstr("/smuggled"))) << out;
  EXPECT_THAT(out, HasSubstr("Connection: close\r\n")) << out;
}

TEST_P(HttpSecurityTest, TransferEncodingGzipIs400AndTheBodyIsNeverARequest) {
  running r(echo);
  expect_one_answer(wire::roundtrip(r.addr, smuggle("Transfer-Encoding: gzip\r\n")), "400");
}

TEST_P(HttpSecurityTest, TransferEncodingGzipWithContentLengthIs400) {
  running r(echo);
  const std::string cl = "Content-Length: " + std::to_string(smuggled.size()) + "\r\n";
  expect_one_answer(wire::roundtrip(r.addr, smuggle("Transfer-Encoding: gzip\r\n" + cl)), "400");
  expect_one_answer(wire::roundtrip(r.addr, smuggle(cl + "Transfer-Encoding: gzip\r\n")), "400");
}

TEST_P(HttpSecurityTest, TransferEncodingXchunkedIs400) {
  running r(echo);
  expect_one_answer(wire::roundtrip(r.addr, smuggle("Transfer-Encoding: xchunked\r\n")), "400");
}

TEST_P(HttpSecurityTest, TransferEncodingChunkedThenIdentityIs400) {
  running r(echo);
  expect_one_answer(wire::roundtrip(r.addr, smuggle("Transfer-Encoding: chunked, identity\r\n")),
                    "400");
  expect_one_answer(
      wire::roundtrip(r.addr,
                      smuggle("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n")),
      "400");
}

TEST_P(HttpSecurityTest, TransferEncodingChunkedTwiceIs400) {
  running r(echo);
  expect_one_answer(wire::roundtrip(r.addr, smuggle("Transfer-Encoding: chunked, chunked\r\n")),
                    "400");
  expect_one_answer(
      wire::roundtrip(r.addr,
                      smuggle("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
      "400");
}

TEST_P(HttpSecurityTest, TransferEncodingEmptyIs400) {
  running r(echo);
  expect_one_answer(wire::roundtrip(r.addr, smuggle("Transfer-Encoding: \r\n")), "400");
  expect_one_answer(wire::roundtrip(r.addr, smuggle("Transfer-Encoding: ,\r\n")), "400");
}

TEST_P(HttpSecurityTest, TransferEncodingCodingBeforeChunkedIs501) {
  running r(echo);
  expect_one_answer(wire::roundtrip(r.addr, smuggle("Transfer-Encoding: gzip, chunked\r\n")),
                    "501");
  expect_one_answer(
      wire::roundtrip(r.addr,
                      smuggle("Transfer-Encoding: GZIP\r\nTransfer-Encoding:\tChunked \r\n")),
      "501");
}

TEST_P(HttpSecurityTest, TransferEncodingWithContentLengthIs400) {
  running r(echo);
  expect_one_answer(
      wire::roundtrip(r.addr, smuggle("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
      "400");
  expect_one_answer(
      wire::roundtrip(r.addr, smuggle("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
      "400");
}

TEST_P(HttpSecurityTest, TransferEncodingChunkedIsCaseAndSpaceInsensitive) {
  running r(echo);
  const std::string out = wire::roundtrip(
      r.addr,
      "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  CHUNKED \r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("POST /a [hello]"));
}

// RFC 9112 §6.1: TE in HTTP/1.0 is faulty framing: process the message, then close; what
// follows it is never a request, even with Connection: keep-alive.
TEST_P(HttpSecurityTest, ChunkedInHttp10WithKeepAliveIsServedThenClosed) {
  running r(echo);
  const std::string out =
      wire::roundtrip(r.addr,
                      "POST /a HTTP/1.0\r\nConnection: keep-alive\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n0\r\n\r\n"
                      "GET /smuggled HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("POST /a [hello]"));
  EXPECT_THAT(out, HasSubstr("Connection: close\r\n"));
  EXPECT_EQ(count(out, "HTTP/1.1 "), 1) << out;
  EXPECT_THAT(out, Not(HasSubstr("/smuggled"))) << out;
}

TEST_P(HttpSecurityTest, MissingHostInHttp11Is400) {
  running r(echo);
  expect_one_answer(wire::roundtrip(r.addr, "GET / HTTP/1.1\r\n\r\n" + smuggled), "400");
}

TEST_P(HttpSecurityTest, DuplicateHostIs400) {
  running r(echo);
  expect_one_answer(
      wire::roundtrip(r.addr, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + smuggled), "400");
  expect_one_answer(
      wire::roundtrip(r.addr, "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n" + smuggled), "400");
}

TEST_P(HttpSecurityTest, Http10WithoutHostIsServed) {
  running r(echo);
  EXPECT_THAT(wire::roundtrip(r.addr, "GET /a HTTP/1.0\r\n\r\n"), HasSubstr("GET /a []"));
}

// A flood on one connection from a fiber of its own: `head`, then `filler` repeated up to
// `total` bytes (or until the server closes), then a half-close. Returns what the server
// answered.
std::string flood(const std::string& addr, const std::string& head, const std::string& filler,
                  std::size_t total) {
  auto s = net::dial(addr, 10s);
  auto writer = goro::spawn([&] {
    try {
      s.write_all(head);
      std::string block;
      while (block.size() < 64 * 1024) block += filler;
      for (std::size_t sent = 0; sent < total; sent += block.size()) s.write_all(block);
      s.shutdown_write();
    } catch (const std::system_error&) {
      // the server answered and closed: the flood ends here
    }
  });
  std::string out = read_to_close(s);
  writer.join();
  return out;
}

constexpr std::size_t flood_bytes = 64 * 1024 * 1024;

// What a connection may hold under a flood: the head limit and one read's worth.
void expect_bounded(const http::server& srv, std::size_t max_header_bytes) {
  EXPECT_GT(srv.peak_buffered_bytes(), 0u) << "the peak is measured";
  EXPECT_LT(srv.peak_buffered_bytes(), max_header_bytes + 64 * 1024);
}

TEST_P(HttpSecurityTest, ChunkExtensionFloodGets431AndBoundedBuffer) {
  running r(echo);
  const std::string out =
      flood(r.addr, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=",
            "aaaaaaaaaaaaaaaa", flood_bytes);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 431 ")) << out.substr(0, 200);
  expect_bounded(r.srv, http::server_options{}.max_header_bytes);
}

TEST_P(HttpSecurityTest, TrailerFloodGets431AndBoundedBuffer) {
  running r(echo);
  const std::string out =
      flood(r.addr,
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n0\r\n",
            "X-Trailer: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", flood_bytes);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 431 ")) << out.substr(0, 200);
  expect_bounded(r.srv, http::server_options{}.max_header_bytes);
}

TEST_P(HttpSecurityTest, ChunkSizeLineOfZerosFloodGets431AndBoundedBuffer) {
  running r(echo);
  const std::string out =
      flood(r.addr, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            "0000000000000000", flood_bytes);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 431 ")) << out.substr(0, 200);
  expect_bounded(r.srv, http::server_options{}.max_header_bytes);
}

TEST_P(HttpSecurityTest, HeaderFloodGets431AndBoundedBuffer) {
  running r(echo);
  const std::string out = flood(r.addr, "GET / HTTP/1.1\r\nHost: x\r\n",
                                "X-Header: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", flood_bytes);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 431 ")) << out.substr(0, 200);
  expect_bounded(r.srv, http::server_options{}.max_header_bytes);
}

// Many small chunks, each with a long extension: each line fits the buffer, but together
// they are mostly non-data; counted against max_header_bytes (Go: "chunked encoding
// contains too much non-data").
TEST_P(HttpSecurityTest, ManyChunkExtensionsGet431) {
  running r(echo);
  const std::string chunk = "1;" + std::string(1000, 'e') + "\r\nX\r\n";
  const std::string out =
      flood(r.addr, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", chunk,
            4 * 1024 * 1024);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 431 ")) << out.substr(0, 200);
}

// RFC 9112 §2.2: a leading empty line is ignored.
TEST_P(HttpSecurityTest, LeadingEmptyLineIsIgnored) {
  running r(echo);
  EXPECT_THAT(
      wire::roundtrip(r.addr, "\r\nGET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      HasSubstr("GET /a []"));
  EXPECT_THAT(wire::roundtrip(r.addr, "\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
              HasSubstr("GET /b []"));
  const std::string two =
      wire::roundtrip(r.addr,
                      "GET /c HTTP/1.1\r\nHost: x\r\n\r\n\r\n"
                      "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(two, HasSubstr("GET /c []"));
  EXPECT_THAT(two, HasSubstr("GET /d []"));
}

// Empty lines count against the head limit: an endless stream of them after a request is
// a 431, never a hang and never more than the limit held.
TEST_P(HttpSecurityTest, PipelinedCrlfFloodGets431) {
  running r(echo);
  const std::string out = flood(r.addr, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n", flood_bytes);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n")) << out.substr(0, 200);
  EXPECT_THAT(out, HasSubstr("GET /a []"));
  EXPECT_THAT(out, HasSubstr("HTTP/1.1 431 ")) << out.substr(0, 400);
  EXPECT_EQ(count(out, "HTTP/1.1 "), 2) << out.substr(0, 400);
  expect_bounded(r.srv, http::server_options{}.max_header_bytes);
}

TEST_P(HttpSecurityTest, ContentLengthOverTheLimitIs413WithoutReadingTheBody) {
  running r(echo, {.max_body_bytes = 1024});
  // The body never comes: the answer must not wait for it.
  auto s = net::dial(r.addr, 10s);
  s.write_all("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n");
  const std::string out = read_to_close(s);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 413 ")) << out;
  EXPECT_EQ(count(out, "HTTP/1.1 "), 1) << out;
}

// Reads from `s` until the end of a response head ("\r\n\r\n"), or a close. The deadline
// only ends a hang: the test asserts on the bytes.
std::string read_head(net::stream& s) {
  s.set_read_deadline(std::chrono::steady_clock::now() + 30s);
  std::string out;
  char c;
  try {
    while (out.find("\r\n\r\n") == std::string::npos && s.read(&c, 1) == 1) out += c;
  } catch (const net::timeout_error&) {
    out += "<<no response head within 30 s>>";
  } catch (const std::system_error&) {
  }
  return out;
}

TEST_P(HttpSecurityTest, ExpectContinueIsAnsweredBeforeTheBody) {
  running r(echo);
  auto s = net::dial(r.addr, 10s);
  s.write_all(
      "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_EQ(read_head(s), "HTTP/1.1 100 Continue\r\n\r\n");
  s.write_all("hello");
  const std::string out = read_to_close(s);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("POST /up [hello]"));
}

TEST_P(HttpSecurityTest, ExpectContinueChunkedIsAnsweredBeforeTheBody) {
  running r(echo);
  auto s = net::dial(r.addr, 10s);
  s.write_all(
      "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_EQ(read_head(s), "HTTP/1.1 100 Continue\r\n\r\n");
  s.write_all("5\r\nhello\r\n0\r\n\r\n");
  EXPECT_THAT(read_to_close(s), HasSubstr("POST /up [hello]"));
}

TEST_P(HttpSecurityTest, ExpectContinueOverTheLimitIs413WithoutContinue) {
  running r(echo, {.max_body_bytes = 1024});
  auto s = net::dial(r.addr, 10s);
  s.write_all(
      "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4096\r\n\r\n");
  const std::string out = read_to_close(s);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 413 ")) << out;
  EXPECT_EQ(count(out, "HTTP/1.1 "), 1) << out;
}

TEST_P(HttpSecurityTest, UnknownExpectationIs417) {
  running r(echo);
  expect_one_answer(
      wire::roundtrip(r.addr, "GET / HTTP/1.1\r\nHost: x\r\nExpect: a-pony\r\n\r\n" + smuggled),
      "417");
}

GORO_INSTANTIATE(HttpSecurityTest, 1, 2);

}  // namespace
