// libFuzzer target: arbitrary bytes sent to goro's HTTP server over loopback. Whatever
// arrives, the server must answer with a status line or close the connection, within its
// read timeout, without crashing (ASan+UBSan watch) or hanging.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <goro/net/http.hpp>
#include <goro/spawn.hpp>

namespace {

using namespace std::chrono_literals;

struct fixture {
  goro::http::server srv{[](const goro::http::request& rq, goro::http::response& rs) {
                           rs.body = rq.method + " " + rq.target + " " +
                                     std::to_string(rq.headers.size()) + " " +
                                     std::to_string(rq.body.size());
                         },
                         {.max_header_bytes = 4096, .max_body_bytes = 4096, .read_timeout = 2s}};
  goro::net::listener ln = goro::net::listen("127.0.0.1:0");
  std::string addr = ln.local_address().to_string();
  goro::join_handle<void> serving = goro::spawn([this] { srv.serve(ln); });
};

fixture& the_server() {
  static fixture* f = new fixture;  // lives as long as the process
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fixture& f = the_server();
  auto s = goro::net::dial(f.addr);
  s.set_deadline(std::chrono::steady_clock::now() + 10s);  // > the server's read timeout
  try {
    s.write_all(data, size);
    s.shutdown_write();
  } catch (const goro::net::timeout_error&) {
    std::abort();  // the server stopped reading: a hang
  } catch (const std::system_error&) {
    // The server answered and closed before it read everything: allowed.
  }
  std::string out;
  try {
    char buf[4096];
    while (std::size_t n = s.read(buf, sizeof buf)) out.append(buf, n);
  } catch (const goro::net::timeout_error&) {
    std::abort();  // no answer and no close within the read timeout: a hang
  } catch (const std::system_error&) {
    // A reset after a close with unread input: allowed.
  }
  if (!out.empty() && out.rfind("HTTP/1.1 ", 0) != 0) std::abort();  // not a status line
  return 0;
}
