// Test support for goro::http on loopback: a server on an ephemeral port, and a raw client
// that sends the exact bytes a peer (or an attacker) sends and reads what comes back.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

#include <goro/net/http.hpp>
#include <goro/spawn.hpp>

namespace goro_test::http_wire {

// A server on 127.0.0.1:<ephemeral>, served by a fiber; shut down and joined at the end.
struct running {
  goro::http::server srv;
  goro::net::listener ln;
  std::string addr;
  goro::join_handle<void> serving;
  explicit running(goro::http::handler h, goro::http::server_options o = {})
      : srv(std::move(h), std::move(o)),
        ln(goro::net::listen("127.0.0.1:0")),
        addr(ln.local_address().to_string()),
        serving(goro::spawn([this] { srv.serve(ln); })) {}
  ~running() {
    srv.shutdown();
    serving.join();
  }
};

// Everything the peer sends until it closes (or resets) the connection. A deadline only
// ends a hang: a test asserts on the bytes, never on the time.
inline std::string read_to_close(goro::net::stream& s,
                                 std::chrono::nanoseconds limit = std::chrono::seconds(60)) {
  s.set_read_deadline(std::chrono::steady_clock::now() + limit);
  std::string out;
  char buf[16 * 1024];
  try {
    while (std::size_t n = s.read(buf, sizeof buf)) out.append(buf, n);
  } catch (const goro::net::timeout_error&) {
    out += "\n<<no close before the deadline>>";
  } catch (const std::system_error&) {
    // a reset after the answer: what arrived is what counts
  }
  return out;
}

// Sends `bytes` on a new connection, half-closes it when `then_close` (the peer sees the
// end of the request stream), and returns everything the server sent until it closed.
inline std::string roundtrip(const std::string& addr, std::string_view bytes,
                             bool then_close = true) {
  auto s = goro::net::dial(addr, std::chrono::seconds(10));
  try {
    s.write_all(bytes.data(), bytes.size());
    if (then_close) s.shutdown_write();
  } catch (const std::system_error&) {
    // the server answered and closed before reading everything: read its answer
  }
  return read_to_close(s);
}

// How many times `needle` occurs in `hay` (responses in a reply stream, say "HTTP/1.1 ").
inline int count(std::string_view hay, std::string_view needle) {
  int n = 0;
  for (auto at = hay.find(needle); at != hay.npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace goro_test::http_wire
