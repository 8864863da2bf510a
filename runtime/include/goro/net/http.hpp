// goro::http: an HTTP/1.1 server and client over goro::net streams, one fiber per
// connection (Go's net/http, reduced to its core). Messages are parsed by Boost.Beast's
// HTTP parser (a well-kept, incremental, size-limited parser) fed from the fiber's stream;
// goro writes no HTTP parsing of its own. The server keeps connections alive between
// requests, answers malformed requests with 400 (431 for headers over the limit, 413 for a
// body over it) and closes them, turns a handler's exception into a 500, and shuts down
// gracefully: it stops accepting, lets the requests in progress finish, closes the idle
// connections, and returns once every connection fiber has ended.
//
//   goro::http::server srv([](const goro::http::request& rq, goro::http::response& rs) {
//     rs.body = "hello, " + rq.target;
//   });
//   auto ln = goro::net::listen("127.0.0.1:8080");
//   goro::go([&] { srv.serve(ln); });
//   auto r = goro::http::get("http://127.0.0.1:8080/world");   // r.status 200, "hello, /world"
//   srv.shutdown();
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <goro/net/tcp.hpp>

namespace goro::http {

struct header {
  std::string name, value;
};

struct request {
  std::string method = "GET";
  std::string target = "/";
  std::vector<header> headers;
  std::string body;
  bool keep_alive = true;  // HTTP/1.1's default; "Connection: close" makes it false
  // The first header of that name (case-insensitive), or "" if there is none.
  std::string_view header_value(std::string_view name) const noexcept;
};

struct response {
  int status = 200;
  std::vector<header> headers;  // Content-Length and Connection are added by goro
  std::string body;
  std::string_view header_value(std::string_view name) const noexcept;
  void set_header(std::string name, std::string value);
};

using handler = std::function<void(const request&, response&)>;

struct server_options {
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  // How long a request may take to arrive, from its first byte (or, on a kept-alive
  // connection, from the end of the previous response) to its last.
  std::chrono::nanoseconds read_timeout = std::chrono::seconds(30);
};

class server {
 public:
  explicit server(handler h, server_options opts = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Serves every connection of `ln` on a fiber of its own until shutdown() (then returns;
  // it also closes `ln`). A scheduling point.
  void serve(net::listener& ln);
  // Graceful shutdown (see above). Returns once every connection has ended.
  void shutdown();
  // Requests handled so far (counted before their responses are written).
  std::uint64_t requests() const noexcept;

  struct state;

 private:
  std::shared_ptr<state> s_;
};

// A kept-alive connection to one server ("host:port"); reconnects when the server closed
// it between requests. One request at a time.
class client {
 public:
  explicit client(std::string host_port,
                  std::chrono::nanoseconds timeout = std::chrono::seconds(30));
  response send(const request& rq);
  response get(std::string_view target) {
    request rq;
    rq.target = std::string(target);
    return send(rq);
  }

 private:
  std::string host_port_;
  std::chrono::nanoseconds timeout_;
  net::stream conn_;
  std::string buffered_;  // bytes read past the previous response
};

// One GET of "http://host:port/target" on a new connection.
response get(std::string_view url, std::chrono::nanoseconds timeout = std::chrono::seconds(30));

}  // namespace goro::http
