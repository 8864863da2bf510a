// goro::http::client: a kept-alive connection to one server ("host:port"), one request at a
// time. A request is validated before it is sent (invalid_message). When a kept-alive
// connection turns out closed, the request is sent again on a new one only if it is
// idempotent (GET, HEAD, OPTIONS, TRACE without a body) and nothing of a response arrived:
// Go's transport rule, so a POST is never run twice.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <goro/net/http/message.hpp>
#include <goro/net/tcp.hpp>

namespace goro::http {

struct client_options {
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);  // dial, and each request
  std::size_t max_header_bytes = 64 * 1024;                    // of a response
  std::size_t max_body_bytes = 64 * 1024 * 1024;               // of a response
};

class client {
 public:
  explicit client(std::string host_port, client_options opts = {});
  client(std::string host_port, std::chrono::nanoseconds timeout)
      : client(std::move(host_port), client_options{.timeout = timeout}) {}
  response send(const request& rq);
  response get(std::string_view target) {
    request rq;
    rq.target = std::string(target);
    return send(rq);
  }

 private:
  std::string host_port_;
  client_options opts_;
  net::stream conn_;
  std::string buffered_;  // bytes read past the previous response
};

// One GET of "http://host[:port]/target" on a new connection. Another scheme, or a URL that
// does not parse, throws invalid_message ("https://" is not supported: put a TLS-terminating
// proxy in front).
response get(std::string_view url, client_options opts = {});
inline response get(std::string_view url, std::chrono::nanoseconds timeout) {
  return get(url, client_options{.timeout = timeout});
}

}  // namespace goro::http
