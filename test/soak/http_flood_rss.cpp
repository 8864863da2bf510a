// test/soak/http_flood_rss: one connection sends 64 MB of chunk extension, another 64 MB of
// trailers, to a goro::http server in this process; prints VmRSS before and after and the
// server's peak_buffered_bytes(). Not a test (RSS is the process's, not a count): the figure
// behind the head budget's claim. Run: build/release/test/soak/http_flood_rss
#include <cstdio>
#include <fstream>
#include <string>

#include <goro/goro.hpp>
#include <goro/net/http.hpp>

namespace {

long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::string flood(const std::string& addr, const std::string& head, const std::string& filler) {
  auto s = goro::net::dial(addr);
  std::size_t sent = head.size();
  auto w = goro::spawn([&] {
    try {
      s.write_all(head);
      std::string block;
      while (block.size() < 64 * 1024) block += filler;
      for (std::size_t n = 0; n < (64u << 20); n += block.size()) {
        s.write_all(block);
        sent += block.size();
      }
      s.shutdown_write();
    } catch (const std::system_error&) {
    }
  });
  std::string out;
  char buf[4096];
  try {
    while (std::size_t n = s.read(buf, sizeof buf)) out.append(buf, n);
  } catch (const std::system_error&) {
  }
  w.join();
  std::printf("  sent %zu bytes before the server closed\n", sent);
  return out.substr(0, out.find("\r\n"));
}

}  // namespace

int main() {
  return goro::run([] {
    goro::http::server srv([](const goro::http::request& rq, goro::http::response& rs) {
      rs.body = std::to_string(rq.body.size());
    });
    auto ln = goro::net::listen("127.0.0.1:0");
    const std::string addr = ln.local_address().to_string();
    auto serving = goro::spawn([&] { srv.serve(ln); });
    const long before = rss_kb();
    std::printf("VmRSS before: %ld kB\n", before);
    std::printf("chunk extension: %s\n",
                flood(addr, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;e=",
                      "aaaaaaaaaaaaaaaa")
                    .c_str());
    std::printf("VmRSS after chunk extension: %ld kB\n", rss_kb());
    std::printf("trailers: %s\n",
                flood(addr,
                      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n0\r\n",
                      "X-Trailer: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
                    .c_str());
    const long after = rss_kb();
    std::printf("VmRSS after trailers: %ld kB (rise %ld kB)\n", after, after - before);
    std::printf("peak_buffered_bytes: %zu\n", srv.peak_buffered_bytes());
    srv.shutdown();
    serving.join();
    return 0;
  });
}
