// goro::http::client against a hostile or broken server, on loopback: request injection
// (method, target, headers), retries that would run a POST twice, response bodies and heads
// past the limits, URLs the client cannot serve, and response framing the client must not
// trust (TE with CL, TE not ending in chunked, 1xx interim responses, HEAD, 204 with a body).
// Each raw server is a listener whose connections run a scripted peer on fibers of their own.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include <goro/net/http.hpp>

#include "../net/http_wire.hpp"
#include "goro_test.hpp"
#include "net/http/wire.hpp"

namespace {

using namespace std::chrono_literals;
namespace http = goro::http;
namespace net = goro::net;
using ::testing::HasSubstr;

// A scripted HTTP peer on 127.0.0.1:<ephemeral>: the i-th accepted connection (from 0) runs
// serve(conn, i) on a fiber; the destructor stops accepting and joins every fiber (a serve()
// waiting for a request ends when the client closes its connection: destroy the client first).
// A script whose answer the client refuses goes on reading: the client's close with unread
// bytes (a reset) must end that read (net/reset_stress_test.cpp).
struct raw_server {
  using script = std::function<void(net::stream&, int)>;
  net::listener ln = net::listen("127.0.0.1:0");
  std::string addr = ln.local_address().to_string();
  std::atomic<int> accepted{0};
  std::stop_source stop;
  goro::join_handle<void> loop;

  explicit raw_server(script serve)
      : loop(goro::spawn([this, serve = std::move(serve)] {
          std::vector<goro::join_handle<void>> conns;
          for (;;) {
            net::stream s;
            try {
              s = ln.accept(stop.get_token());
            } catch (const std::exception&) {
              break;  // stopped
            }
            const int i = accepted.fetch_add(1);
            conns.push_back(goro::spawn([&serve, i, s = std::move(s)]() mutable {
              try {
                serve(s, i);
              } catch (const std::exception&) {
                // the client closed or reset: the script ends there
              }
            }));
          }
          for (auto& c : conns) c.join();
        })) {}
  ~raw_server() {
    stop.request_stop();
    goro_test::bounded("the raw server's fibers ended", [&] { loop.join(); });
  }
};

struct raw_request {
  std::string head;  // request line and headers, with the blank line
  std::string body;
  std::string line() const { return head.substr(0, head.find("\r\n")); }
};

// The next request on `s` (head, and a body of its Content-Length), or nothing at the end of
// the stream. Bytes past it stay in `buf`.
std::optional<raw_request> read_request(net::stream& s, std::string& buf) {
  auto more = [&] {
    char tmp[4096];
    std::size_t n = s.read(tmp, sizeof tmp);
    buf.append(tmp, n);
    return n > 0;
  };
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos)
    if (!more()) return std::nullopt;
  raw_request rq{buf.substr(0, end + 4), {}};
  std::string lower = rq.head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t length = 0;
  if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos)
    length = std::stoul(lower.substr(at + 17));
  while (buf.size() < end + 4 + length)
    if (!more()) return std::nullopt;
  rq.body = buf.substr(end + 4, length);
  buf.erase(0, end + 4 + length);
  return rq;
}

std::string ok(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

// Answers every request with its request line as the body, keeping the connection.
void echo_lines(net::stream& s, int) {
  std::string buf;
  while (auto rq = read_request(s, buf)) s.write_all(ok(rq->line()));
}

class HttpClientSecurityTest : public goro_test::RuntimeTest {};

// --- 1. Injection: method, target and headers are checked before anything is sent ---------

TEST_P(HttpClientSecurityTest, InjectedTargetThrowsAndSendsNothing) {
  std::atomic<int> requests{0};
  raw_server srv([&](net::stream& s, int) {
    std::string buf;
    while (auto rq = read_request(s, buf)) {
      requests.fetch_add(1);
      s.write_all(ok(rq->line()));
    }
  });
  {
    http::client c(srv.addr);
    EXPECT_THROW(c.get("/a HTTP/1.1\r\nHost: x\r\n\r\nGET /injected"), http::invalid_message);
    // The next caller gets its own answer, not the injected request's.
    EXPECT_EQ(c.get("/ok").body, "GET /ok HTTP/1.1");
  }
  EXPECT_EQ(requests.load(), 1);
}

TEST_P(HttpClientSecurityTest, BadMethodsTargetsAndHeadersThrowInvalidMessage) {
  std::atomic<int> requests{0};
  raw_server srv([&](net::stream& s, int) {
    std::string buf;
    while (auto rq = read_request(s, buf)) {
      requests.fetch_add(1);
      s.write_all(ok(rq->line()));
    }
  });
  {
    http::client c(srv.addr);
    auto attempt = [&](auto change) {
      http::request rq;
      change(rq);
      try {
        c.send(rq);
      } catch (const http::invalid_message& e) {
        return std::string(e.what());
      }
      return std::string("<sent>");
    };
    EXPECT_THAT(attempt([](auto& rq) { rq.method = "GET / HTTP/1.1\r\nX:"; }), HasSubstr("method"));
    EXPECT_THAT(attempt([](auto& rq) { rq.method = ""; }), HasSubstr("method"));
    EXPECT_THAT(attempt([](auto& rq) { rq.target = "/a b"; }), HasSubstr("target"));
    EXPECT_THAT(attempt([](auto& rq) { rq.target = "/a\nb"; }), HasSubstr("target"));
    EXPECT_THAT(attempt([](auto& rq) { rq.target = "/a#frag"; }), HasSubstr("target"));
    EXPECT_THAT(attempt([](auto& rq) { rq.target = "no-slash"; }), HasSubstr("target"));
    EXPECT_THAT(attempt([](auto& rq) { rq.target = ""; }), HasSubstr("target"));
    EXPECT_THAT(attempt([](auto& rq) {
                  rq.headers = {{"X-A", "1\r\nX-Evil: 1"}};
                }),
                HasSubstr("X-A"));
    EXPECT_THAT(attempt([](auto& rq) {
                  rq.headers = {{"X-A", std::string("a\0b", 3)}};
                }),
                HasSubstr("X-A"));
    EXPECT_THAT(attempt([](auto& rq) { rq.headers = {{"X-A", "a\rb"}}; }), HasSubstr("X-A"));
    EXPECT_THAT(attempt([](auto& rq) { rq.headers = {{"Bad Name", "v"}}; }), HasSubstr("Bad Name"));
    EXPECT_THAT(attempt([](auto& rq) { rq.headers = {{"X:Y", "v"}}; }), HasSubstr("X:Y"));
    EXPECT_THAT(attempt([](auto& rq) { rq.headers = {{"", "v"}}; }), HasSubstr("header"));
    // What is valid goes out.
    EXPECT_EQ(attempt([](auto& rq) {
                rq.method = "OPTIONS";
                rq.target = "*";
              }),
              "<sent>");
    EXPECT_EQ(attempt([](auto& rq) { rq.target = "/a/b?x=1&y=%20"; }), "<sent>");
    EXPECT_EQ(attempt([](auto& rq) { rq.headers = {{"X-Tab", "a\tb"}}; }), "<sent>");
  }
  EXPECT_EQ(requests.load(), 3);
}

TEST_P(HttpClientSecurityTest, SetHeaderRejectsHeaderInjection) {
  goro_test::http_wire::running r([](const http::request&, http::response& rs) {
    rs.set_header("X-Note", "a\r\nSet-Cookie: session=evil");
    rs.body = "unreachable";
  });
  auto reply = goro_test::http_wire::roundtrip(r.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(reply, ::testing::Not(HasSubstr("Set-Cookie")));
  EXPECT_THAT(reply, ::testing::StartsWith("HTTP/1.1 500 "));

  http::response rs;
  EXPECT_THROW(rs.set_header("X-A", std::string("a\0b", 3)), http::invalid_message);
  EXPECT_THROW(rs.set_header("X-A", "a\nb"), http::invalid_message);
  EXPECT_THROW(rs.set_header("X A", "v"), http::invalid_message);
  EXPECT_THROW(rs.set_header("", "v"), http::invalid_message);
  try {
    rs.set_header("Set-Cookie", "a\rb");
    ADD_FAILURE() << "set_header took a CR";
  } catch (const http::invalid_message& e) {
    EXPECT_THAT(e.what(), HasSubstr("Set-Cookie"));
  }
  EXPECT_TRUE(rs.headers.empty());
  rs.set_header("X-Ok", "a\tb c");
  EXPECT_EQ(rs.header_value("x-ok"), "a\tb c");
}

// --- 2. Retries: only replayable requests, only when nothing of a response arrived ---------

// The first request of the first connection is answered (the connection stays open); every
// later request is counted by its request line, then its connection closed without a word.
struct dropping_server {
  std::mutex mu;
  std::map<std::string, int> seen;
  raw_server srv{[this](net::stream& s, int i) {
    std::string buf;
    for (int n = 0;; ++n) {
      auto rq = read_request(s, buf);
      if (!rq) return;
      if (i == 0 && n == 0) {
        s.write_all(ok("first"));
        continue;
      }
      {
        std::lock_guard g(mu);
        ++seen[rq->line()];
      }
      return;  // closes without an answer
    }
  }};
  int count(const std::string& line) {
    std::lock_guard g(mu);
    return seen[line];
  }
};

TEST_P(HttpClientSecurityTest, PostOnDroppedConnectionIsNotSentAgain) {
  dropping_server d;
  {
    http::client c(d.srv.addr);
    EXPECT_EQ(c.get("/first").body, "first");
    http::request rq;
    rq.method = "POST";
    rq.target = "/pay";
    rq.body = "100 EUR";
    try {
      c.send(rq);
      ADD_FAILURE() << "the POST got a response";
    } catch (const std::system_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("closed before a response"));
    }
  }
  EXPECT_EQ(d.count("POST /pay HTTP/1.1"), 1);
}

TEST_P(HttpClientSecurityTest, GetOnDroppedConnectionIsRetriedOnceOnAFreshConnection) {
  dropping_server d;
  {
    http::client c(d.srv.addr);
    EXPECT_EQ(c.get("/first").body, "first");
    // Sent on the kept-alive connection, dropped; sent again on a new one, dropped again:
    // a fresh connection is not retried.
    EXPECT_THROW(c.get("/read"), std::system_error);
  }
  EXPECT_EQ(d.count("GET /read HTTP/1.1"), 2);
  EXPECT_EQ(d.srv.accepted.load(), 2);
}

TEST_P(HttpClientSecurityTest, IdempotencyKeyMakesAPostReplayable) {
  dropping_server d;
  {
    http::client c(d.srv.addr);
    EXPECT_EQ(c.get("/first").body, "first");
    http::request rq;
    rq.method = "POST";
    rq.target = "/pay";
    rq.body = "100 EUR";
    rq.headers = {{"Idempotency-Key", "8e03978e"}};
    EXPECT_THROW(c.send(rq), std::system_error);
  }
  EXPECT_EQ(d.count("POST /pay HTTP/1.1"), 2);
}

TEST_P(HttpClientSecurityTest, GetWithABodyIsNotReplayable) {
  dropping_server d;
  {
    http::client c(d.srv.addr);
    EXPECT_EQ(c.get("/first").body, "first");
    http::request rq;
    rq.target = "/search";
    rq.body = "query";
    EXPECT_THROW(c.send(rq), std::system_error);
  }
  EXPECT_EQ(d.count("GET /search HTTP/1.1"), 1);
}

// --- 3. Limits: a response's body and head are bounded before they are buffered ------------

// Reads one request, then writes `head` and up to `flood` bytes of `unit` again and again
// (stopping when the client goes away); counts what the kernel took in `written`.
raw_server::script flooding(std::string head, std::string unit, std::size_t flood,
                            std::atomic<std::size_t>& written) {
  return [=, &written](net::stream& s, int) {
    std::string buf;
    if (!read_request(s, buf)) return;
    s.write_all(head);
    for (std::size_t sent = 0; sent < flood; sent += unit.size()) {
      s.write_all(unit);
      written.fetch_add(unit.size());
    }
  };
}

TEST_P(HttpClientSecurityTest, ContentLengthPastMaxBodyIsRefusedBeforeTheBody) {
  std::atomic<std::size_t> written{0};
  raw_server srv(flooding("HTTP/1.1 200 OK\r\nContent-Length: 536870912\r\n\r\n",
                          std::string(64 * 1024, 'x'), 4 << 20, written));
  http::client c(srv.addr);
  try {
    c.get("/big");
    ADD_FAILURE() << "a 512 MB body was accepted";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("max_body_bytes"));
  }
}

TEST_P(HttpClientSecurityTest, BodyPastMaxBodyIsRefused) {
  const std::size_t body = 3 << 20;
  raw_server srv([&](net::stream& s, int i) {
    std::string buf;
    if (!read_request(s, buf)) return;
    std::string chunk(64 * 1024, 'x');
    if (i == 0) {  // a Content-Length that tells the truth
      s.write_all("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n");
      for (std::size_t n = 0; n < body; n += chunk.size()) s.write_all(chunk);
    } else if (i == 1) {  // chunked
      s.write_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      char size[16];
      std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
      for (std::size_t n = 0; n < body; n += chunk.size())
        s.write_all(std::string(size) + chunk + "\r\n");
      s.write_all("0\r\n\r\n");
    } else {  // delimited by the close
      s.write_all("HTTP/1.1 200 OK\r\n\r\n");
      for (std::size_t n = 0; n < body; n += chunk.size()) s.write_all(chunk);
    }
  });
  for (int i = 0; i < 3; ++i) {
    http::client c(srv.addr, {.max_body_bytes = 1 << 20});
    try {
      auto rs = c.get("/big");
      ADD_FAILURE() << "case " << i << ": a body of " << rs.body.size() << " bytes was accepted";
    } catch (const std::system_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("max_body_bytes")) << "case " << i;
    }
  }
}

TEST_P(HttpClientSecurityTest, MaxHeaderBytesIsTheResponseHeadLimit) {
  raw_server srv([&](net::stream& s, int) {
    std::string buf;
    while (auto rq = read_request(s, buf)) {
      const std::size_t n = rq->line() == "GET /32k HTTP/1.1" ? 32 * 1024 : 100 * 1024;
      s.write_all("HTTP/1.1 200 OK\r\nX-Big: " + std::string(n, 'h') + "\r\n" +
                  "Content-Length: 2\r\n\r\nok");
    }
  });
  http::client c(srv.addr);  // 64 KiB by default
  EXPECT_EQ(c.get("/32k").body, "ok");
  try {
    c.get("/100k");
    ADD_FAILURE() << "a 100 KiB head was accepted";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("max_header_bytes"));
  }
}

TEST_P(HttpClientSecurityTest, TrailerFloodIsRefusedAtMaxHeaderBytes) {
  std::atomic<std::size_t> written{0};
  const std::size_t flood = 64 << 20;
  raw_server srv(flooding("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n",
                          "X-Trailer: " + std::string(4084, 't') + "\r\n", flood, written));
  {
    http::client c(srv.addr, {.max_header_bytes = 16 * 1024});
    try {
      c.get("/trailers");
      ADD_FAILURE() << "64 MB of trailers were accepted";
    } catch (const std::system_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("max_header_bytes"));
    }
  }
  // The client stopped reading at the limit: what the server got rid of is the limit plus
  // what the two sockets' buffers hold, far from the flood.
  EXPECT_LT(written.load(), flood / 4);
}

TEST_P(HttpClientSecurityTest, ChunkExtensionFloodIsRefusedAtMaxHeaderBytes) {
  std::atomic<std::size_t> written{0};
  const std::size_t flood = 64 << 20;
  raw_server srv(flooding("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=",
                          std::string(4096, 'e'), flood, written));
  {
    http::client c(srv.addr, {.max_header_bytes = 16 * 1024});
    try {
      c.get("/extensions");
      ADD_FAILURE() << "64 MB of chunk extension were accepted";
    } catch (const std::system_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("max_header_bytes"));
    }
  }
  EXPECT_LT(written.load(), flood / 4);
}

// --- 4. URLs ------------------------------------------------------------------------------

std::string get_error(const std::string& url) {
  try {
    http::get(url, 2s);
  } catch (const http::invalid_message& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not invalid_message> ") + e.what();
  }
  return "<no error>";
}

TEST_P(HttpClientSecurityTest, HttpsUrlsGetAClearError) {
  EXPECT_THAT(get_error("https://example.com/"),
              HasSubstr("https is not supported: use a TLS-terminating proxy"));
  EXPECT_THAT(get_error("HTTPS://example.com:443/x"), HasSubstr("https is not supported"));
}

TEST_P(HttpClientSecurityTest, BadUrlsThrowInvalidMessageNamingTheProblem) {
  EXPECT_THAT(get_error("ftp://example.com/"), HasSubstr("scheme"));
  EXPECT_THAT(get_error("example.com/x"), HasSubstr("scheme"));
  EXPECT_THAT(get_error("http://"), HasSubstr("host"));
  EXPECT_THAT(get_error("http:///x"), HasSubstr("host"));
  EXPECT_THAT(get_error("http://:80/x"), HasSubstr("host"));
  EXPECT_THAT(get_error("http://example.com:99999/"), HasSubstr("port"));
  EXPECT_THAT(get_error("http://example.com:0/"), HasSubstr("port"));
  EXPECT_THAT(get_error("http://example.com:8a/"), HasSubstr("port"));
  EXPECT_THAT(get_error("http://example.com:/"), HasSubstr("port"));
  EXPECT_THAT(get_error("http://user:pw@example.com/"), HasSubstr("userinfo"));
  EXPECT_THAT(get_error("http://exa mple.com/"), HasSubstr("host"));
  EXPECT_THAT(get_error("http://example.com/a b"), HasSubstr("target"));
  EXPECT_THAT(get_error("http://example.com/a\r\nX: y"), HasSubstr("target"));
  EXPECT_THAT(get_error("http://[::1/"), HasSubstr("host"));
  EXPECT_THAT(get_error("http://[::1]x/"), HasSubstr("port"));
  EXPECT_THAT(get_error("http://ex\x01.com/"), HasSubstr("host"));
}

TEST_P(HttpClientSecurityTest, GetParsesHostPortPathAndQuery) {
  raw_server srv(echo_lines);
  EXPECT_EQ(http::get("http://" + srv.addr).body, "GET / HTTP/1.1");
  EXPECT_EQ(http::get("http://" + srv.addr + "?q=1").body, "GET /?q=1 HTTP/1.1");
  EXPECT_EQ(http::get("http://" + srv.addr + "/p/q?x=1#frag").body, "GET /p/q?x=1 HTTP/1.1");
  EXPECT_EQ(http::get("HTTP://" + srv.addr + "/up").body, "GET /up HTTP/1.1");
}

TEST_P(HttpClientSecurityTest, UrlsSplitIntoAddressAndTarget) {
  using goro::http::detail::parse_url;
  EXPECT_EQ(parse_url("http://example.com").host_port, "example.com:80");
  EXPECT_EQ(parse_url("http://example.com").target, "/");
  EXPECT_EQ(parse_url("http://example.com:8080/a?b=c#d").host_port, "example.com:8080");
  EXPECT_EQ(parse_url("http://example.com:8080/a?b=c#d").target, "/a?b=c");
  EXPECT_EQ(parse_url("http://[::1]/x").host_port, "[::1]:80");
  EXPECT_EQ(parse_url("http://[2001:db8::1]:8080").host_port, "[2001:db8::1]:8080");
  EXPECT_EQ(parse_url("http://[2001:db8::1]:8080").target, "/");
}

TEST_P(HttpClientSecurityTest, ClientAddressIsValidatedLikeAUrl) {
  // The address becomes the Host header: a CR/LF in it would inject headers.
  EXPECT_THROW(http::client("127.0.0.1\r\nX-Evil: 1:80"), http::invalid_message);
  EXPECT_THROW(http::client("user@127.0.0.1:80"), http::invalid_message);
  EXPECT_THROW(http::client("127.0.0.1:http"), http::invalid_message);
  EXPECT_THROW(http::client(""), http::invalid_message);
  raw_server srv(echo_lines);
  http::client c(srv.addr);
  EXPECT_EQ(c.get("/fine").body, "GET /fine HTTP/1.1");
}

// --- 5. Response framing the client does not trust ----------------------------------------

TEST_P(HttpClientSecurityTest, TransferEncodingWithContentLengthIsAnError) {
  // "gzip" is not chunked: the body runs to the close and Content-Length must not split it
  // into a response and a smuggled second one.
  raw_server srv([&](net::stream& s, int i) {
    std::string buf;
    while (auto rq = read_request(s, buf)) {
      if (i != 0) {
        s.write_all(ok("fresh"));
        continue;
      }
      s.write_all(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"
          "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
    }
  });
  http::client c(srv.addr);
  try {
    auto rs = c.get("/a");
    ADD_FAILURE() << "accepted, body \"" << rs.body << "\"";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Transfer-Encoding"));
  }
  EXPECT_EQ(c.get("/b").body, "fresh");
}

TEST_P(HttpClientSecurityTest, TransferEncodingNotEndingInChunkedRunsToTheCloseAndIsNotReused) {
  std::atomic<int> on_first{0};
  raw_server srv([&](net::stream& s, int i) {
    std::string buf;
    while (auto rq = read_request(s, buf)) {
      if (i == 0) {
        on_first.fetch_add(1);
        s.write_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n");
        s.shutdown_write();  // the body ends here; the connection still reads
      } else {
        s.write_all(ok("second"));
      }
    }
  });
  {
    http::client c(srv.addr);
    auto rs = c.get("/a");
    EXPECT_EQ(rs.body, "5\r\nhello\r\n");
    EXPECT_EQ(c.get("/b").body, "second");
  }
  EXPECT_EQ(on_first.load(), 1);  // /b was not written on the first connection
}

TEST_P(HttpClientSecurityTest, InterimResponsesAreSkipped) {
  raw_server srv([&](net::stream& s, int) {
    std::string buf;
    while (auto rq = read_request(s, buf)) {
      if (rq->line() == "GET /many HTTP/1.1") {
        for (int k = 0; k < 50; ++k) s.write_all("HTTP/1.1 102 Processing\r\n\r\n");
        s.write_all(ok("late"));
      } else {
        s.write_all(
            "HTTP/1.1 100 Continue\r\n\r\n"
            "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" +
            ok("final"));
      }
    }
  });
  http::client c(srv.addr);
  auto rs = c.get("/a");
  EXPECT_EQ(rs.status, 200);
  EXPECT_EQ(rs.body, "final");
  EXPECT_EQ(c.get("/b").body, "final");  // nothing of /a's answer is left for /b
  EXPECT_EQ(srv.accepted.load(), 1);
  try {
    c.get("/many");
    ADD_FAILURE() << "50 interim responses were accepted";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("1xx"));
  }
}

TEST_P(HttpClientSecurityTest, HeadResponseHasNoBodyWhateverContentLengthSays) {
  raw_server srv([&](net::stream& s, int) {
    std::string buf;
    while (auto rq = read_request(s, buf)) {
      if (rq->line().starts_with("HEAD"))
        s.write_all("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
      else
        s.write_all(ok("after head"));
    }
  });
  http::client c(srv.addr, 10s);
  http::request rq;
  rq.method = "HEAD";
  auto rs = c.send(rq);
  EXPECT_EQ(rs.status, 200);
  EXPECT_EQ(rs.body, "");
  EXPECT_EQ(rs.header_value("content-length"), "1000");
  EXPECT_EQ(c.get("/next").body, "after head");
  EXPECT_EQ(srv.accepted.load(), 1);  // the connection stayed in use
}

TEST_P(HttpClientSecurityTest, BodyBytesAfterA204AreNotReadAsTheNextResponse) {
  raw_server srv([&](net::stream& s, int i) {
    std::string buf;
    while (auto rq = read_request(s, buf)) {
      if (i == 0)
        s.write_all(
            "HTTP/1.1 204 No Content\r\nContent-Length: 52\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
      else
        s.write_all(ok("fresh"));
    }
  });
  http::client c(srv.addr);
  auto rs = c.get("/a");
  EXPECT_EQ(rs.status, 204);
  EXPECT_EQ(rs.body, "");
  EXPECT_EQ(c.get("/b").body, "fresh");
}

GORO_INSTANTIATE(HttpClientSecurityTest, 1, 4);

}  // namespace
