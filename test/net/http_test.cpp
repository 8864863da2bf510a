// goro::http on loopback: our client and curl against the server, keep-alive, pipelining,
// malformed and oversized requests, handler exceptions, graceful shutdown.
#include <cstdio>
#include <string>

#include <gmock/gmock.h>

#include <goro/net/http.hpp>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
namespace http = goro::http;
namespace net = goro::net;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class HttpTest : public goro_test::RuntimeTest {
 protected:
  // A server on an ephemeral port, served by a fiber; shut down at the end.
  struct running {
    http::server srv;
    net::listener ln;
    std::string addr;
    goro::join_handle<void> serving;
    running(http::handler h, http::server_options o = {})
        : srv(std::move(h), o),
          ln(net::listen("127.0.0.1:0")),
          addr(ln.local_address().to_string()),
          serving(goro::spawn([this] { srv.serve(ln); })) {}
    ~running() {
      srv.shutdown();
      serving.join();
    }
  };

  static void echo(const http::request& rq, http::response& rs) {
    rs.set_header("Content-Type", "text/plain");
    rs.body = rq.method + " " + rq.target + " [" + rq.body + "] " +
              std::string(rq.header_value("x-test"));
  }

  // Everything the server sends until it closes the connection.
  static std::string read_all(net::stream& s) {
    std::string out;
    char buf[4096];
    while (std::size_t n = s.read(buf, sizeof buf)) out.append(buf, n);
    return out;
  }
};

TEST_P(HttpTest, ClientKeepsOneConnectionForManyRequests) {
  running r(echo);
  http::client c(r.addr);
  for (int i = 0; i < 3; ++i) {
    http::request rq;
    rq.method = "POST";
    rq.target = "/item/" + std::to_string(i);
    rq.body = "payload";
    rq.headers.push_back({"X-Test", "yes"});
    auto rs = c.send(rq);
    EXPECT_EQ(rs.status, 200);
    EXPECT_EQ(rs.body, "POST /item/" + std::to_string(i) + " [payload] yes");
    EXPECT_EQ(rs.header_value("content-type"), "text/plain");
  }
  EXPECT_EQ(r.srv.requests(), 3u);
  EXPECT_EQ(http::get("http://" + r.addr + "/once").body, "GET /once [] ");
}

TEST_P(HttpTest, CurlGetsAnAnswer) {
  running r(echo);
  std::string out;
  goro::blocking([&] {  // curl runs while the server's fibers run on the machines
    std::string cmd = "curl -s -i -H 'X-Test: curl' http://" + r.addr + "/hello?x=1 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[512];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << out;
  });
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\n\r\nGET /hello?x=1 [] curl"));
}

TEST_P(HttpTest, PipelinedRequestsAreAnsweredInOrder) {
  running r(echo);
  auto s = net::dial(r.addr);
  s.write_all(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string all = read_all(s);
  auto a = all.find("GET /a [] "), b = all.find("POST /b [xyz] "), c = all.find("GET /c [] ");
  ASSERT_NE(a, std::string::npos) << all;
  ASSERT_NE(b, std::string::npos) << all;
  ASSERT_NE(c, std::string::npos) << all;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_THAT(all, HasSubstr("Connection: close\r\n"));
}

TEST_P(HttpTest, MalformedAndOversizedRequestsGetAStatusAndAClose) {
  running r(echo, {.max_header_bytes = 1024, .max_body_bytes = 16});
  auto ask = [&](const std::string& wire) {
    auto s = net::dial(r.addr);
    s.write_all(wire);
    s.shutdown_write();  // end of stream after the request: a truncated one stays so
    return read_all(s);  // the server closes after its answer
  };
  EXPECT_THAT(ask("NOT HTTP AT ALL\r\n\r\n"), StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(ask("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"),
              StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(ask("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b')),
              StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
  EXPECT_THAT(ask("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort"),  // truncated body
              StartsWith("HTTP/1.1 400 Bad Request\r\n"));
}

TEST_P(HttpTest, HandlerExceptionBecomes500) {
  running r([](const http::request&, http::response&) { throw std::runtime_error("broken"); },
            {.error_log = [](std::string_view) {}});
  auto rs = http::get("http://" + r.addr + "/");
  EXPECT_EQ(rs.status, 500);
  EXPECT_EQ(rs.body, "Internal Server Error\n");  // the text goes to the error log only
}

TEST_P(HttpTest, GracefulShutdownFinishesRequestsInProgressAndClosesIdleConnections) {
  goro::chan<int> entered(1), release(0);
  http::server srv([&](const http::request& rq, http::response& rs) {
    if (rq.target == "/slow") {
      entered.send(1);
      release.recv();
    }
    rs.body = "done " + rq.target;
  });
  auto ln = net::listen("127.0.0.1:0");
  const std::string addr = ln.local_address().to_string();
  auto serving = goro::spawn([&] { srv.serve(ln); });
  // An idle kept-alive connection.
  auto idle = net::dial(addr);
  idle.write_all("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
  char buf[256];
  ASSERT_GT(idle.read(buf, sizeof buf), 0u);
  // A request in progress.
  auto slow = goro::spawn([&] { return http::get("http://" + addr + "/slow"); });
  entered.recv();
  auto stopper = goro::spawn([&] { srv.shutdown(); });
  EXPECT_EQ(idle.read(buf, sizeof buf), 0u);  // closed by the shutdown, while idle
  release.send(1);                            // let the slow request finish
  auto rs = slow.join();
  EXPECT_EQ(rs.status, 200);
  EXPECT_EQ(rs.body, "done /slow");
  EXPECT_EQ(rs.header_value("connection"), "close");
  stopper.join();  // returns once every connection ended
  serving.join();  // serve() returned: it stopped accepting
  EXPECT_THROW(net::dial(addr), std::system_error);
}

GORO_INSTANTIATE(HttpTest, 1, 2, 4);

}  // namespace
